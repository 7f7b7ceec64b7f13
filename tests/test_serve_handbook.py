"""`kbsite serve` never lays the handbook out: MkDocs' serve builds, run here in-process.

The builds are real MkDocs builds with the plugin started as `mkdocs serve` starts it
(`on_startup(command="serve")`, the same plugin instance across rebuilds); spies
count every call of the handbook's layout and of WeasyPrint's render.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

from kbsite.outputs import handbook, weasy

PDF = "downloads/mini-kb-handbook.pdf"
ARTICLE = "content/network/tor-vs-vpn.md"
STALE = "this handbook is older than the content"
MISSING = "the handbook is not laid out while serving"


@pytest.fixture
def spied(monkeypatch) -> list[str]:
    """The names of the layout functions called (they still run for real)."""
    calls: list[str] = []
    for module, name in ((handbook, "build"), (weasy, "render")):
        real = getattr(module, name)

        def spy(*args, _real=real, _name=f"{module.__name__}.{name}", **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    return calls


def test_serve_rebuilds_show_edits_without_laying_out_the_handbook(
    built_mini, tmp_path, monkeypatch, spied, caplog
):
    root = tmp_path / "mini"
    shutil.copytree(built_mini, root)  # with the cache of its `kbsite build`
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    preview = tmp_path / "preview"
    caplog.set_level(logging.INFO, logger="mkdocs.plugins.kbsite")

    def serve_build() -> str:
        config = load_config("mkdocs.yml", site_dir=str(preview))
        build(config, serve_url="http://127.0.0.1:8000/")
        return (preview / "index.html").read_text(encoding="utf-8")

    config = load_config("mkdocs.yml", site_dir=str(preview))
    config.plugins.on_startup(command="serve", dirty=False)
    # The first build: content unchanged since `kbsite build`, its handbook is served as it is.
    home = serve_build()
    assert (preview / PDF).read_bytes() == (built_mini / "site" / PDF).read_bytes()
    assert STALE not in home and "Download the handbook (PDF)" in home
    assert "handbook: unchanged content, reused from the cache" in caplog.text

    # An edit: the page shows it, the handbook link still works and says it is older.
    article = root / ARTICLE
    article.write_text(
        article.read_text(encoding="utf-8").replace("Pick by threat model.", "Edited while serving."),
        encoding="utf-8",
    )
    home = serve_build()
    assert "Edited while serving." in (preview / "network/tor-vs-vpn.html").read_text(encoding="utf-8")
    assert (preview / PDF).read_bytes() == (built_mini / "site" / PDF).read_bytes()
    assert STALE in home and 'href="downloads/mini-kb-handbook.pdf"' in home
    assert re.search(r"the last one \(9 pages, [\d.]+ MB\) is older than the content", caplog.text)

    # No handbook made yet at all: none is laid out; the home page says how to make one.
    shutil.rmtree(root / ".cache")
    shutil.rmtree(preview)
    home = serve_build()
    assert MISSING in home and not (preview / PDF).exists()
    assert spied == []  # neither kbsite's layout nor WeasyPrint ever ran
    assert not list(Path(root / ".cache").glob("**/*.pdf"))


def test_spies_see_a_real_layout(built_mini, tmp_path, monkeypatch, spied):
    """The spies above can fail: a `kbsite build`-style build with an edit lays the book out."""
    root = tmp_path / "mini"
    shutil.copytree(built_mini, root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    article = root / ARTICLE
    article.write_text(article.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    config = load_config("mkdocs.yml", site_dir=str(tmp_path / "out"))
    config.plugins.on_startup(command="build", dirty=False)
    build(config)
    assert "kbsite.outputs.handbook.build" in spied and "kbsite.outputs.weasy.render" in spied
