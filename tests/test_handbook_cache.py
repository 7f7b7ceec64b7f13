"""The handbook cache: reused bytes equal a cold build's, and every kind of input invalidates it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, copy_site, run_kbsite, tree_digest

from kbsite.outputs import handbook_cache

PDF = "site/downloads/mini-kb-handbook.pdf"
CACHE = ".cache/kbsite/handbook"
LAID_OUT = "Handbook site/downloads/mini-kb-handbook.pdf: laid out"
REUSED = "Handbook site/downloads/mini-kb-handbook.pdf: unchanged inputs, reused from the cache"
HANDBOOK_TEMPLATES = ROOT / "kbsite" / "templates" / "handbook"


def warm_copy(built_mini: Path, tmp_path: Path) -> Path:
    """A copy of the built mini site, its cache included (the cache keys hold no absolute path)."""
    root = tmp_path / "mini"
    shutil.copytree(built_mini, root)
    return root


def build(root: Path) -> str:
    result = run_kbsite("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress off a terminal, and no third-party warning
    return result.stdout


def pdf_text(root: Path) -> str:
    return subprocess.run(["pdftotext", str(root / PDF), "-"], capture_output=True, text=True).stdout


def entries(root: Path) -> list[str]:
    return sorted(p.name for p in (root / CACHE).glob("*.json"))


def test_reused_handbook_has_the_cold_bytes(built_mini, tmp_path):
    root = warm_copy(built_mini, tmp_path)
    cold = (built_mini / PDF).read_bytes()
    assert len(entries(root)) == 1
    assert REUSED in build(root)
    assert (root / PDF).read_bytes() == cold
    (root / "site").rename(root / "site-reused")
    # The cache emptied: laid out again, to the same bytes.
    shutil.rmtree(root / ".cache")
    assert LAID_OUT in build(root)
    assert (root / PDF).read_bytes() == cold
    (root / PDF).unlink()
    result = run_kbsite("pdf", cwd=root)
    assert "(reused from the cache: unchanged inputs)" in result.stdout, result.stdout + result.stderr
    assert (root / PDF).read_bytes() == cold


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _override(root: Path, name: str, old: str, new: str) -> None:
    """Copy kbsite's handbook template `name` into the site's overrides/ with one change."""
    target = root / "overrides" / "handbook" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(HANDBOOK_TEMPLATES / name, target)
    _edit(target, old, new)


def _use_overrides(root: Path) -> None:
    _edit(root / "mkdocs.yml", "  name: material\n", "  name: material\n  custom_dir: overrides\n")


CHANGES = {
    "article": (
        lambda root: _edit(
            root / "content/network/tor-vs-vpn.md", "Pick by threat model.", "Pick by threat model, twice."
        ),
        "Pick by threat model, twice.",
    ),
    "tool": (
        lambda root: _edit(
            root / "content/_data/tools.yml", "accepts anonymous payment.", "accepts cash by post."
        ),
        "accepts cash by post.",
    ),
    "glossary term": (
        lambda root: _edit(
            root / "content/_data/glossary.yml", "keep what you do from", "keep your habits from"
        ),
        "keep your habits from",
    ),
    "template override": (
        lambda root: _override(
            root, "article.html", '<h2>{{ _("Related tools") }}</h2>', "<h2>Related tools (overridden)</h2>"
        ),
        "Related tools (overridden)",
    ),
    "print CSS": (
        lambda root: _override(
            root,
            "handbook.css",
            "@bottom-center { content: counter(page);",
            '@bottom-center { content: "Leaf " counter(page);',
        ),
        "Leaf 3",
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_changed_input_lays_the_handbook_out_again(built_mini, tmp_path, change):
    root = warm_copy(built_mini, tmp_path)
    if change in ("template override", "print CSS"):
        # custom_dir alone changes the digest too: settle it first, so only the override counts.
        _use_overrides(root)
        (root / "overrides").mkdir()
        assert LAID_OUT in build(root)
        assert REUSED in build(root)
    before = entries(root)
    apply, shows = CHANGES[change]
    assert shows not in pdf_text(root)
    apply(root)
    assert LAID_OUT in build(root)
    assert " ".join(pdf_text(root).split()).count(shows) >= 1
    assert len(entries(root)) == len(before) + 1  # the earlier entry is kept beside the new one
    assert REUSED in build(root)


def test_kbsite_print_css_is_part_of_the_key(built_mini, tmp_path, monkeypatch):
    """kbsite's own files (code, templates, print CSS) are hashed: an upgrade invalidates the cache."""
    from mkdocs.config import load_config

    root = warm_copy(built_mini, tmp_path)
    config = load_config(str(root / "mkdocs.yml"))
    package = tmp_path / "kbsite"
    shutil.copytree(ROOT / "kbsite", package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(handbook_cache, "PACKAGE", package)
    first = handbook_cache.digest(config)
    assert handbook_cache.digest(config) == first
    with (package / "templates/handbook/handbook.css").open("a") as f:
        f.write("\n.cover { color: #111; }\n")
    assert handbook_cache.digest(config) != first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the edition date on the cover
    assert len({first, handbook_cache.digest(config)}) == 2


def test_a_handbook_failure_keeps_the_previous_site_and_cache(built_mini, tmp_path):
    root = warm_copy(built_mini, tmp_path)
    _use_overrides(root)
    _override(root, "article.html", "{% if article.tools %}", "{% if article.tools %")
    site, cache = tree_digest(root / "site"), tree_digest(root / ".cache")
    result = run_kbsite("build", cwd=root)
    assert result.returncode == 1
    assert "overrides/handbook/article.html:" in result.stderr, result.stderr
    assert "the handbook's template failed" in result.stderr
    assert "fix: fix the template" in result.stderr
    assert "The previous site/ was left untouched." in result.stderr
    assert tree_digest(root / "site") == site
    assert tree_digest(root / ".cache") == cache
    result = run_kbsite("pdf", cwd=root)
    assert result.returncode == 1 and "Nothing was written." in result.stderr
    assert tree_digest(root / "site") == site and tree_digest(root / ".cache") == cache


def test_cache_keeps_the_newest_entries(tmp_path):
    cache = handbook_cache.HandbookCache(tmp_path)
    for n in range(handbook_cache.KEEP + 2):
        cache.put(f"k{n}", handbook_cache.Handbook("downloads/x.pdf", b"%PDF " + bytes([n]), n + 1))
    assert len(list(tmp_path.glob("*.json"))) == handbook_cache.KEEP
    assert cache.get("k0") is None
    last = cache.get(f"k{handbook_cache.KEEP + 1}")
    assert last is not None and last.reused and not last.stale and last.pages == handbook_cache.KEEP + 2
    latest = cache.latest()
    assert latest is not None and latest.stale and latest.pdf == last.pdf
    (tmp_path / f"k{handbook_cache.KEEP + 1}.pdf").unlink()  # damaged entry: not used
    assert cache.get(f"k{handbook_cache.KEEP + 1}") is None


def test_fresh_site_has_no_cache_until_built(tmp_path):
    root = copy_site(tmp_path, "mini")
    assert not (root / ".cache").exists()
    assert LAID_OUT in build(root)
    assert len(entries(root)) == 1


def test_one_edited_article_lays_out_one_part_and_gives_the_cold_bytes(tmp_path):
    """At 30 articles the book is written in parts: after one edit only its part is laid out."""
    from kbsite.dev import synth

    warm = synth.write_kb(tmp_path / "warm", 30)
    assert "laid out" in build(warm)
    parts = warm / CACHE / "parts"
    before = {p.name for p in parts.iterdir()}
    assert len(before) >= 4  # at least two parts, a PDF and a record each
    article = sorted((warm / "content").glob("*/*.md"))[3]
    head, body = article.read_text(encoding="utf-8").split("\n---\n", 1)
    article.write_text(head + "\n---\n" + body.replace(" ", " edited ", 1), encoding="utf-8")
    assert "laid out" in build(warm)
    after = {p.name for p in parts.iterdir()}
    assert len(after - before) == 2 and len(before - after) == 2, (before, after)  # one part, PDF + record
    cold = tmp_path / "cold"
    cold.mkdir()
    shutil.copytree(warm / "content", cold / "content")
    shutil.copy(warm / "mkdocs.yml", cold / "mkdocs.yml")
    build(cold)
    pdf = "site/downloads/synthetic-kb-handbook.pdf"
    assert (warm / pdf).read_bytes() == (cold / pdf).read_bytes()
