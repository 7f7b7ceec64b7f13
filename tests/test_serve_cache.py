"""The live preview keeps the article pages an edit did not touch (kbsite.site.pagecache).

Real MkDocs builds, run in-process as `mkdocs serve` runs them: the same plugin instance
across rebuilds. After each edit the preview must equal a build that kept nothing, and
only the articles the edit touched may have been rendered again.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from kbsite.site import pagecache
from kbsite.site.render import Renderer

TAILS = "content/devices/what-is-tails.md"
VPN = "content/network/tor-vs-vpn.md"
WIFI = "content/network/public-wifi.md"
ALL = {"devices/what-is-tails.md", "network/tor-vs-vpn.md", "network/public-wifi.md"}


class Preview:
    """The mini site, previewed: `rebuild()` returns the articles rendered in that build."""

    def __init__(self, root: Path, out: Path, monkeypatch):
        self.root, self.out = root, out
        self.rendered: list[str] = []
        real = Renderer.article

        def spy(renderer, article, *args, **kwargs):
            self.rendered.append(article.src_uri)
            return real(renderer, article, *args, **kwargs)

        monkeypatch.setattr(Renderer, "article", spy)
        config = load_config("mkdocs.yml", site_dir=str(out))
        config.plugins.on_startup(command="serve", dirty=False)
        self.plugin = config.plugins["kbsite"]

    def rebuild(self, site_dir: Path | None = None) -> set[str]:
        self.rendered.clear()
        build(
            load_config("mkdocs.yml", site_dir=str(site_dir or self.out)), serve_url="http://127.0.0.1:8000/"
        )
        return set(self.rendered)

    def edit(self, path: str, old: str, new: str) -> None:
        file = self.root / path
        text = file.read_text(encoding="utf-8")
        assert old in text, (path, old)
        file.write_text(text.replace(old, new, 1), encoding="utf-8")

    def assert_same_as_a_build_that_kept_nothing(self, tmp: Path) -> None:
        kept = self.plugin.page_cache
        self.plugin.page_cache = pagecache.PageCache()
        try:
            assert self.rebuild(tmp) == ALL
        finally:
            self.plugin.page_cache = kept
        pages = sorted(p.relative_to(tmp) for p in tmp.rglob("*.html"))
        assert pages == sorted(p.relative_to(self.out) for p in self.out.rglob("*.html"))
        for page in pages:
            assert (self.out / page).read_bytes() == (tmp / page).read_bytes(), page
        shutil.rmtree(tmp)


@pytest.fixture
def preview(built_mini, tmp_path, monkeypatch) -> Preview:
    root = tmp_path / "mini"
    shutil.copytree(built_mini, root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    return Preview(root, tmp_path / "preview", monkeypatch)


def test_an_edited_body_renders_that_article_only(preview, tmp_path):
    assert preview.rebuild() == ALL
    assert preview.rebuild() == set()  # nothing changed: every article page kept
    preview.edit(VPN, "Pick by threat model.", "Edited while serving.")
    assert preview.rebuild() == {"network/tor-vs-vpn.md"}
    assert "Edited while serving." in (preview.out / "network/tor-vs-vpn.html").read_text(encoding="utf-8")
    preview.assert_same_as_a_build_that_kept_nothing(tmp_path / "fresh")


@pytest.mark.parametrize(
    "path, old, new",
    [
        (VPN, "title:", "title: Renamed,"),  # in the navigation of every page
        ("content/_data/glossary.yml", "term:", "term: Renamed"),  # linked from bodies
        ("mkdocs.yml", "site_name: Mini KB", "site_name: Mini KB renamed"),  # in every header
    ],
    ids=["title", "glossary", "config"],
)
def test_an_edit_every_page_shows_renders_them_all(preview, tmp_path, path, old, new):
    preview.rebuild()
    preview.edit(path, old, new)
    assert preview.rebuild() == ALL
    preview.assert_same_as_a_build_that_kept_nothing(tmp_path / "fresh")


def test_an_edited_override_renders_them_all(preview, tmp_path):
    overrides = preview.root / "overrides"
    (overrides / "kb").mkdir(parents=True)
    article = Path(pagecache.__file__).parent.parent / "templates" / "kb" / "article.html"
    (overrides / "kb" / "article.html").write_text(article.read_text(encoding="utf-8"), encoding="utf-8")
    preview.edit("mkdocs.yml", "  name: material\n", "  name: material\n  custom_dir: overrides\n")
    preview.rebuild()
    assert preview.rebuild() == set()
    (overrides / "kb" / "article.html").write_text(
        "<p>Overridden.</p>" + article.read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert preview.rebuild() == ALL
    assert "<p>Overridden.</p>" in (preview.out / "devices/what-is-tails.html").read_text(encoding="utf-8")
    preview.assert_same_as_a_build_that_kept_nothing(tmp_path / "fresh")


def test_a_kept_pages_link_is_checked_against_the_edited_page(preview, caplog):
    """A kept page's link to a heading of another page breaks when that heading goes."""
    link = "See [the basics](../devices/what-is-tails.md#basics)."
    preview.edit(VPN, "Pick by threat model.", f"Pick by threat model. {link}")
    preview.rebuild()
    preview.edit(TAILS, "## Basics", "## Fundamentals")
    caplog.set_level(logging.WARNING)
    with pytest.raises(Abort):  # strict mode: the broken anchor is a warning that stops the build
        preview.rebuild()
    assert set(preview.rendered) == {"devices/what-is-tails.md"}
    assert "contains a link '../devices/what-is-tails.md#basics', but the doc" in caplog.text


def test_a_kept_pages_audit_finding_still_stops_the_build(preview, caplog):
    """The audit of a kept page is not run again; its findings are kept with it."""
    preview.rebuild()
    preview.edit(
        WIFI, "hosts you contact.", "hosts you contact.\n\n![Map](https://tiles.example.org/map.png)"
    )
    finding = (
        r"network/public-wifi\.md:\d+: <img src> 'https://tiles\.example\.org/map\.png' loads from outside"
    )
    for edit in ((), (VPN, "Pick by threat model.", "Edited while serving.")):
        if edit:
            preview.edit(*edit)
        caplog.clear()
        with pytest.raises(Abort):
            preview.rebuild()
        assert re.search(finding, caplog.text)
    assert set(preview.rendered) == {"network/tor-vs-vpn.md"}
