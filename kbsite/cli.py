"""The `kbsite` command line: build, check, pdf, serve, bundle, deploy-config and new."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import click

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material's notice: the README records the risk

from .content import load
from .content.errors import ContentErrors


def _config(config_file: str, **overrides):
    from mkdocs.config import load_config

    return load_config(config_file, **overrides)


def _fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def _load_kb(cfg):
    try:
        return load.load(Path(cfg.docs_dir), cfg.site_name)
    except ContentErrors as exc:
        _fail(exc.format() + "\nNothing was written.")


config_option = click.option(
    "-f",
    "--config-file",
    default="mkdocs.yml",
    show_default=True,
    type=click.Path(exists=True, dir_okay=False),
    help="The site's mkdocs.yml.",
)


@click.group()
def main() -> None:
    """Offline static knowledge-base sites."""
    logging.basicConfig(format="%(levelname)s: %(message)s")
    logging.getLogger("mkdocs").setLevel(logging.WARNING)


@main.command()
@config_option
def check(config_file: str) -> None:
    """Validate all content and report every error; write nothing."""
    kb = _load_kb(_config(config_file))
    click.echo(
        f"OK: {len(kb.articles)} articles, {len(kb.categories)} categories, "
        f"{len(kb.tools)} tools, {len(kb.glossary)} glossary terms."
    )


def build_site(config_file: str) -> Path:
    """Build into a fresh folder beside site_dir, then swap it in.

    A failed build leaves the previous site untouched.
    """
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    cfg = _config(config_file)
    _load_kb(cfg)  # report content errors before anything is written
    site = Path(cfg.site_dir)
    site.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=site.name + ".new-", dir=site.parent))
    try:
        cfg = _config(config_file, site_dir=str(tmp))
        build(cfg)
    except (MkDocsException, SystemExit) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _fail(f"Build failed: {exc}\nThe previous {site.name}/ was left untouched.")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    tmp.chmod(0o755)
    old = site.with_name(site.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if site.exists():
        site.rename(old)
    tmp.rename(site)
    shutil.rmtree(old, ignore_errors=True)
    plugin = cfg.plugins.get("kbsite")
    if plugin is not None and plugin.handbook is not None:
        click.echo(handbook_summary(plugin.handbook, site))
    return site


def handbook_summary(book, site: Path) -> str:
    where = site.name + "/" + book.path
    if book.reused:
        return f"Handbook {where}: unchanged inputs, reused from the cache ({book.pages} pages)."
    return f"Handbook {where}: laid out ({book.pages} pages, {book.size_mb} MB)."


@main.command()
@config_option
def build(config_file: str) -> None:
    """Check the content, then build the site (atomically replacing site/)."""
    start = time.monotonic()
    site = build_site(config_file)
    pages = sum(1 for _ in site.rglob("*.html"))
    click.echo(f"Built {pages} pages into {site.name}/ in {time.monotonic() - start:.1f} s.")


@main.command()
@config_option
def pdf(config_file: str) -> None:
    """Build only the PDF handbook into site/downloads/ (`build` makes it too)."""
    import jinja2

    from .outputs.handbook import template_error
    from .outputs.handbook_cache import build_or_reuse

    start = time.monotonic()
    cfg = _config(config_file)
    _load_kb(cfg)  # report content errors before anything is written
    cfg = cfg.plugins.on_config(cfg)  # the plugin loads the model and adds its templates
    plugin = cfg.plugins.get("kbsite")
    if plugin is None:
        _fail(f"{config_file}: add `- kbsite` under `plugins:` to build the handbook.")
    try:
        book = build_or_reuse(plugin.kb, cfg, cfg.theme.get_env().loader, plugin.config.glossary_links)
    except jinja2.TemplateError as exc:
        _fail(template_error(exc, Path(cfg.config_file_path).parent) + "\nNothing was written.")
    out = Path(cfg.site_dir) / book.path
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".new")
    tmp.write_bytes(book.pdf)
    tmp.replace(out)  # never a half-written PDF where the old one was
    shown = os.path.relpath(out) if out.is_relative_to(Path.cwd()) else str(out)
    how = "reused from the cache: unchanged inputs" if book.reused else "laid out"
    click.echo(
        f"Wrote {shown}: {book.pages} pages, {book.size_mb} MB, in {time.monotonic() - start:.1f} s ({how})."
    )


@main.command()
@config_option
@click.option("-p", "--port", default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--livereload/--no-livereload",
    default=True,
    show_default=True,
    help="Rebuild and reload on changes, or serve one finished build as readers get it.",
)
def serve(config_file: str, port: int, livereload: bool) -> None:
    """Preview on 127.0.0.1 only, with the production headers."""
    _load_kb(_config(config_file))
    if livereload:
        from mkdocs.commands.serve import serve as mkdocs_serve

        # Each rebuild says what it did with the handbook (the preview never lays it out).
        logging.getLogger("mkdocs.plugins.kbsite").setLevel(logging.INFO)

        mkdocs_serve(config_file=config_file, dev_addr=f"127.0.0.1:{port}", livereload=True)
        return
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    from .site.serve import serve_static

    tmp = Path(tempfile.mkdtemp(prefix="kbsite-preview-"))
    try:
        build(_config(config_file, site_dir=str(tmp)))
        serve_static(tmp, port)
    except MkDocsException as exc:
        _fail(f"Build failed: {exc}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@main.command("deploy-config")
@click.option("--root", default=None, help="Folder nginx serves (default /srv/kbsite/current).")
@click.option(
    "--listen", default=None, help="unix:/path or 127.0.0.1:PORT (default unix:/run/kbsite/nginx.sock)."
)
@click.option("--mount", default="/", show_default=True, help="URL path the site lives under.")
@click.option("--torrc", "what", flag_value="torrc", help="Print the torrc example instead.")
@click.option("--nginx", "what", flag_value="nginx", default=True, help="Print the nginx server block.")
def deploy_config(root: str | None, listen: str | None, mount: str, what: str) -> None:
    """Print the nginx server block (or torrc) for hosting as an onion service."""
    from .outputs import deploy

    listen = listen or deploy.DEFAULT_LISTEN
    try:
        text = (
            deploy.torrc(listen)
            if what == "torrc"
            else deploy.nginx_conf(root or deploy.DEFAULT_ROOT, listen, mount)
        )
    except ValueError as exc:
        _fail(f"--listen: {exc}", 2)
    click.echo(text, nl=False)


@main.command()
@config_option
@click.option("--no-build", is_flag=True, help="Bundle the existing site/ instead of building first.")
def bundle(config_file: str, no_build: bool) -> None:
    """Build, then write dist/<site>-<date>.zip for a USB stick (opens in Tails)."""
    from .outputs.bundle import write_bundle
    from .safety.reproducible import default_source_date_epoch

    cfg = _config(config_file)
    site = Path(cfg.site_dir) if no_build else build_site(config_file)
    if not (site / "index.html").is_file():
        _fail(f"{site.name}/index.html is missing: run `kbsite build` first (or drop --no-build).")
    kb = _load_kb(cfg)
    default_source_date_epoch(kb)  # as the build did, when --no-build skipped it
    zip_path = write_bundle(site, Path(cfg.config_file_path).parent / "dist", cfg.site_name, kb)
    click.echo(f"Wrote {zip_path.parent.name}/{zip_path.name} ({zip_path.stat().st_size // 1024} KiB).")


@main.command()
@config_option
@click.argument("title")
@click.option("--category", required=True, help="Category id from _data/categories.yml.")
def new(config_file: str, title: str, category: str) -> None:
    """Write a new article skeleton with every section and table kind stubbed."""
    from .content.skeleton import write_skeleton

    cfg = _config(config_file)
    try:
        path = write_skeleton(Path(cfg.docs_dir), title, category)
    except ValueError as exc:
        _fail(str(exc), 2)
    click.echo(f"Wrote {path}. Fill in every TODO, then run `kbsite check`.")


if __name__ == "__main__":
    main()
