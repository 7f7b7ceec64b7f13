"""The `kbsite` command line: build, check, pdf, epub, zim, serve, bundle, deploy-config and new."""

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

# KBSITE_ENGINE=properdocs runs the same commands on ProperDocs, the MkDocs 1.6 fork that the
# README's "Platform risk" plan moves to: its import hook makes every `mkdocs.*` import load it.
if os.environ.get("KBSITE_ENGINE") == "properdocs":
    import properdocs.replacement  # noqa: F401

from .content import load
from .content.errors import ContentErrors


def _config(config_file: str, **overrides):
    from mkdocs.config import load_config

    return load_config(config_file, **overrides)


def _fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def _load_kb(cfg):
    from mkdocs.exceptions import PluginError

    from .site.config import declared_languages, with_reviews

    plugin = cfg.plugins.get("kbsite")
    try:
        kb = load.load(Path(cfg.docs_dir), cfg.site_name, declared_languages(cfg))
        return with_reviews(kb, plugin.config.review_every if plugin is not None else None)
    except ContentErrors as exc:
        _fail(exc.format() + "\nNothing was written.")
    except PluginError as exc:
        _fail(f"{exc}\nNothing was written.")


strict_freshness_option = click.option(
    "--strict-freshness",
    is_flag=True,
    help="Fail on articles overdue for review and on outdated translations.",
)
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
@click.option("--strict", is_flag=True, help="Fail on warnings too (as `strict: true` makes the build).")
@strict_freshness_option
def check(config_file: str, strict: bool, strict_freshness: bool) -> None:
    """Validate all content and report every error; write nothing."""
    cfg = _config(config_file)
    kb = _load_kb(cfg)
    errors = _lint(config_file)
    if errors:
        _fail(ContentErrors(errors).format() + "\nNothing was written.")
    for warning in kb.warnings:
        click.echo("WARNING: " + warning.format(), err=True)
    if kb.warnings and (strict or cfg.strict):
        _fail(f"{len(kb.warnings)} warning(s), which strict mode counts as errors.")
    click.echo(
        f"OK: {len(kb.articles)} articles, {len(kb.categories)} categories, "
        f"{len(kb.tools)} tools, {len(kb.glossary)} glossary terms."
    )
    for line in coverage_lines(kb) + review_lines(kb):
        click.echo(line)
    _check_freshness(cfg, kb, strict_freshness)


def _check_freshness(cfg, kb, strict: bool) -> None:
    """Under --strict-freshness, overdue reviews and outdated translations stop here."""
    from .content import freshness

    if strict and (found := freshness.problems(kb, Path(cfg.docs_dir))):
        _fail(ContentErrors(found).format() + "\n(--strict-freshness) Nothing was written.")


def review_lines(kb) -> list[str]:
    """The articles overdue for review (with `review_every`), for editors."""
    if not kb.review_every:
        return []
    overdue = [a for a in kb.articles if kb.overdue(a)]
    lines = ["", f"Reviews every {kb.review_every}, as of {kb.today}: {len(overdue)} overdue"]
    lines += [
        f"  overdue: {a.src_uri} last reviewed {a.last_reviewed}, due {kb.review_due(a)}" for a in overdue
    ]
    return lines


def coverage_lines(kb) -> list[str]:
    """A table per translation language for translators: translated, outdated, missing."""
    from .content.translations import coverage

    rows = coverage(kb)
    if not rows:
        return []
    names = {lang.code: lang.name for lang in kb.languages}
    total = len(kb.articles)
    lines = ["", f"{'Translations':24} {'translated':>10} {'outdated':>9} {'missing':>8}"]
    for c in rows:
        label = f"{c.lang} ({names[c.lang]})"
        lines.append(f"{label:24} {len(c.translated):>6}/{total:<3} {len(c.outdated):>9} {len(c.missing):>8}")
    for c in rows:
        for t in c.outdated:
            assert t.original is not None
            lines.append(
                f"  outdated: {t.source_path} translates {t.translates}; "
                f"{t.original.src_uri} was updated {t.original.updated}"
            )
    return lines


def _lint(config_file: str, audited: bool = True) -> list:
    """What the build would find in the articles (kbsite.site.lint), as content errors."""
    from mkdocs.exceptions import PluginError

    from .content.tree import content_files
    from .site.lint import lint
    from .site.render import Renderer

    cfg = _config(config_file)
    try:
        cfg = cfg.plugins.on_config(cfg)  # the plugin loads the model, adds its templates and extension
    except PluginError as exc:
        _fail(str(exc))
    plugin = cfg.plugins.get("kbsite")
    if plugin is None:
        return []
    root = Path(cfg.docs_dir)
    files = [p.relative_to(root).as_posix() for p in content_files(root)[0]]
    return lint(plugin.kb, cfg, Renderer(plugin.kb, cfg.theme.get_env()), files, audited)


def build_site(config_file: str, strict_freshness: bool = False) -> Path:
    """Build into a fresh folder beside site_dir, then swap it in.

    A failed or interrupted build leaves the previous site untouched.
    """
    from mkdocs.exceptions import MkDocsException

    from .safety.reproducible import default_source_date_epoch
    from .site import swap

    cfg = _config(config_file)
    kb = _load_kb(cfg)  # report content errors before anything is written
    _check_freshness(cfg, kb, strict_freshness)
    if note := default_source_date_epoch(kb):
        click.echo(note, err=True)
    site = Path(cfg.site_dir)
    try:
        books: list[tuple[str, object]] = []
        swap.build_into(site, lambda tmp: books.extend(_build_languages(config_file, kb, tmp)))
    except swap.Interrupted as exc:
        _fail(f"Build interrupted ({exc}).\nThe previous {site.name}/ was left untouched.", 128 + exc.signum)
    except (MkDocsException, SystemExit) as exc:
        # MkDocs names the page of a broken link but not its line: `check` does, so ask it.
        # (The audit has named its findings' lines already.)
        try:
            errors = _lint(config_file, audited=False)
        except Exception:  # lint only adds lines; the build's own error says what failed
            errors = []
        found = ContentErrors(errors).format() + "\n" if errors else ""
        _fail(f"{found}Build failed: {exc}\nThe previous {site.name}/ was left untouched.")
    for folder, book in books:
        if book is not None:
            click.echo(handbook_summary(book, site.name + "/" + folder))
    return site


def _build_languages(config_file: str, kb, root: Path) -> list[tuple[str, object]]:
    """One build per language: the original at the root, each translation under <lang>/.
    Returns each build's folder ("" or "ja/") and handbook, for the summary."""
    from mkdocs.commands.build import build

    books = []
    for out, lang_cfg in _language_configs(config_file, kb, root):
        if out != root:
            click.echo(f"Building {out.name}/ ...")
        build(lang_cfg)
        plugin = lang_cfg.plugins.get("kbsite")
        books.append(("" if out == root else out.name + "/", plugin.handbook if plugin else None))
    return books


def _language_configs(config_file: str, kb, root: Path):
    """(output folder, MkDocs config) for each language, the original first, in `root`."""
    for i, lang in enumerate(kb.languages or [None]):
        out = root if i == 0 else root / lang.code
        cfg = _config(config_file, site_dir=str(out))
        if i > 0:
            cfg.plugins["kbsite"].config["language"] = lang.code
        yield out, cfg


def handbook_summary(book, folder: str) -> str:
    where = folder + book.path
    if book.reused:
        return f"Handbook {where}: unchanged inputs, reused from the cache ({book.pages} pages)."
    return f"Handbook {where}: laid out ({book.pages} pages, {book.size_mb} MB)."


@main.command()
@config_option
@strict_freshness_option
def build(config_file: str, strict_freshness: bool) -> None:
    """Check the content, then build the site (atomically replacing site/)."""
    start = time.monotonic()
    site = build_site(config_file, strict_freshness)
    pages = sum(1 for _ in site.rglob("*.html"))
    click.echo(f"Built {pages} pages into {site.name}/ in {time.monotonic() - start:.1f} s.")


@main.command()
@config_option
def pdf(config_file: str) -> None:
    """Build only the PDF handbook into site/downloads/ (`build` makes it too)."""
    import jinja2

    from .outputs.handbook import template_error
    from .outputs.handbook_cache import build_or_reuse

    cfg = _config(config_file)
    kb = _load_kb(cfg)  # report content errors before anything is written
    if cfg.plugins.get("kbsite") is None:
        _fail(f"{config_file}: add `- kbsite` under `plugins:` to build the handbook.")
    for folder, lang_cfg in _language_configs(config_file, kb, Path(cfg.site_dir)):
        start = time.monotonic()
        lang_cfg = lang_cfg.plugins.on_config(lang_cfg)  # the plugin loads the model and adds its templates
        plugin = lang_cfg.plugins["kbsite"]
        try:
            book = build_or_reuse(
                plugin.kb, lang_cfg, lang_cfg.theme.get_env().loader, plugin.config.glossary_links
            )
        except jinja2.TemplateError as exc:
            _fail(template_error(exc, Path(cfg.config_file_path).parent) + "\nNothing was written.")
        if book.refused:
            _fail(ContentErrors(list(book.refused)).format() + "\nThis handbook was not written.")
        out = folder / book.path
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".new")
        tmp.write_bytes(book.pdf)
        tmp.replace(out)  # never a half-written PDF where the old one was
        how = "reused from the cache: unchanged inputs" if book.reused else "laid out"
        click.echo(
            f"Wrote {_shown(out)}: {book.pages} pages, {book.size_mb} MB, "
            f"in {time.monotonic() - start:.1f} s ({how})."
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
    kb = _load_kb(_config(config_file))
    if livereload and len(kb.languages) > 1:
        # Each language is a build of its own: rebuilding them all would make every edit
        # wait for all of them, so the live preview shows the original and says so.
        others = ", ".join(f"{x.code}/" for x in kb.languages[1:])
        click.echo(
            f"kbsite serve: live preview of the original language ({kb.languages[0].code}) only, "
            f"without the language links; {others} are built by `kbsite build` and shown by "
            "`kbsite serve --no-livereload`.",
            err=True,
        )
    if livereload:
        from mkdocs.commands.serve import serve as mkdocs_serve

        # Each rebuild says what it did with the handbook (the preview never lays it out).
        logging.getLogger("mkdocs.plugins.kbsite").setLevel(logging.INFO)

        mkdocs_serve(config_file=config_file, dev_addr=f"127.0.0.1:{port}", livereload=True)
        return
    from mkdocs.exceptions import MkDocsException

    from .site.serve import serve_static

    tmp = Path(tempfile.mkdtemp(prefix="kbsite-preview-"))
    try:
        _build_languages(config_file, kb, tmp)  # every language, as readers get the site
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
@click.option(
    "--onion-address",
    default="",
    metavar="ADDRESS.onion",
    help="Add a clearnet HTTPS server block that sends Onion-Location to this v3 address.",
)
@click.option("--server-name", default=None, help="The clearnet mirror's host name (with --onion-address).")
@click.option("--torrc", "what", flag_value="torrc", help="Print the torrc example instead.")
@click.option("--nginx", "what", flag_value="nginx", default=True, help="Print the nginx server block.")
def deploy_config(
    root: str | None, listen: str | None, mount: str, onion_address: str, server_name: str | None, what: str
) -> None:
    """Print the nginx server block (or torrc) for hosting as an onion service."""
    from .outputs import deploy

    listen = listen or deploy.DEFAULT_LISTEN
    try:
        if onion_address:  # checked with --torrc too, which does not use it
            deploy.onion_host(onion_address)
        text = (
            deploy.torrc(listen, pow_=deploy.pow_support())
            if what == "torrc"
            else deploy.nginx_conf(
                root or deploy.DEFAULT_ROOT,
                listen,
                mount,
                onion_address,
                server_name or deploy.DEFAULT_SERVER_NAME,
            )
        )
    except deploy.OptionError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{exc.option}'") from exc
    click.echo(text, nl=False)


def _plugin(cfg, config_file: str, what: str):
    plugin = cfg.plugins.get("kbsite")
    if plugin is None:
        _fail(f"{config_file}: add `- kbsite` under `plugins:` to build {what}.")
    return plugin


def _language(cfg) -> str:
    # One language today; each output takes it as a parameter so it can be made per language.
    return cfg.theme.get("language") or "en"


def _shown(path: Path) -> str:
    return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)


def _checked(step):
    """Run a check or output step; its errors name the file or option and stop before writing."""
    try:
        return step()
    except ContentErrors as exc:
        _fail(exc.format() + "\nNothing was written.")


@main.command()
@config_option
def epub(config_file: str) -> None:
    """Build only the EPUB 3 book into site/downloads/ (`build` makes it too)."""
    from .outputs import epub as epub_output

    cfg = _config(config_file)
    _load_kb(cfg)
    cfg = cfg.plugins.on_config(cfg)
    plugin = _plugin(cfg, config_file, "the EPUB")
    book = epub_output.build(plugin.kb, cfg, cfg.theme.get_env().loader, _language(cfg))
    out = Path(cfg.site_dir) / book.path
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".new")
    tmp.write_bytes(book.data)
    tmp.replace(out)
    click.echo(f"Wrote {_shown(out)}: {book.size_mb} MB.")


def _zim_step(cfg, config_file: str):
    """Check every language's ZIM metadata and the tools now; return what writes the ZIMs
    (one per language) from a built site and fills their sizes into its downloads pages."""
    from mkdocs.exceptions import PluginError

    from .outputs import zim
    from .site.config import declared_languages

    try:
        languages = [lang.code for lang in declared_languages(cfg)]
    except PluginError:  # a language Babel cannot name: the build says so; the ZIM's checks come first
        languages = [_language(cfg)]
    metas = _checked(lambda: zim.metadata_per_language(cfg, languages, os.path.basename(config_file)))
    _checked(zim.check_program)
    favicon = cfg.theme.get("favicon") or "assets/images/favicon.png"

    def write(site: Path, out_dir: Path) -> list[Path]:
        return _checked(lambda: zim.write_zims(site, out_dir, cfg, languages, metas, favicon))

    return write


@main.command()
@config_option
@click.option("--no-build", is_flag=True, help="Pack the existing site/ instead of building first.")
def zim(config_file: str, no_build: bool) -> None:
    """Build, then pack each language into dist/<site>-<lang>.zim for Kiwix (needs zim-tools)."""
    cfg = _config(config_file)
    write = _zim_step(cfg, config_file)
    site = Path(cfg.site_dir) if no_build else build_site(config_file)
    if not (site / "index.html").is_file():
        _fail(f"{site.name}/index.html is missing: run `kbsite build` first (or drop --no-build).")
    for out in write(site, Path(cfg.config_file_path).parent / "dist"):
        click.echo(f"Wrote {_shown(out)} ({out.stat().st_size // 1024} KiB).")


@main.command()
@config_option
@click.option("--no-build", is_flag=True, help="Bundle the existing site/ instead of building first.")
@click.option(
    "--sign", "key_id", metavar="KEYID", help="Sign SHA256SUMS with this gpg key (the configured one)."
)
@click.option(
    "--minisign",
    "minisign_key",
    metavar="KEYFILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also sign SHA256SUMS with this minisign secret key file.",
)
@click.option("--zim", "with_zim", is_flag=True, help="Also pack the ZIM for Kiwix into the bundle.")
def bundle(
    config_file: str, no_build: bool, key_id: str | None, minisign_key: Path | None, with_zim: bool
) -> None:
    """Build, then write dist/<site>-<date>.zip for a USB stick (opens in Tails)."""
    from .outputs import signing
    from .outputs.bundle import Trust, write_bundle
    from .safety.reproducible import default_source_date_epoch

    cfg = _config(config_file)
    options = _plugin(cfg, config_file, "the bundle").config
    name = os.path.basename(config_file)
    # Every key and tool is checked before anything is built or written.
    fingerprint = _checked(lambda: signing.check_gpg_key(key_id, options.signing_key, name)) if key_id else ""
    public = _checked(lambda: signing.check_minisign(options.minisign_key, name)) if minisign_key else ""
    write_zim = _zim_step(cfg, config_file) if with_zim else None
    site = Path(cfg.site_dir) if no_build else build_site(config_file)
    if not (site / "index.html").is_file():
        _fail(f"{site.name}/index.html is missing: run `kbsite build` first (or drop --no-build).")
    kb = _load_kb(cfg)
    default_source_date_epoch(kb)  # as the build did, when --no-build skipped it
    dist = Path(cfg.config_file_path).parent / "dist"
    extra = {}
    if write_zim:
        for zim_path in write_zim(site, dist):
            extra[zim_path.name] = zim_path.read_bytes()
    signers = []
    if fingerprint:
        signers.append(lambda sums: {"SHA256SUMS.asc": signing.gpg_sign(sums, fingerprint)})
    if minisign_key:
        signers.append(lambda sums: {"SHA256SUMS.minisig": signing.minisign_sign(sums, minisign_key, public)})
    trust = Trust(
        fingerprint=signing.printed_fingerprint(options.signing_key),
        minisign_key=options.minisign_key or "",
        public_key=_checked(lambda: signing.gpg_public_key(fingerprint)) if fingerprint else b"",
        signers=signers,
    )
    zip_path = _checked(lambda: write_bundle(site, dist, cfg.site_name, kb, trust, extra))
    signed = " and signed" if signers else ""
    click.echo(
        f"Wrote{signed} {zip_path.parent.name}/{zip_path.name} ({zip_path.stat().st_size // 1024} KiB)."
    )


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
