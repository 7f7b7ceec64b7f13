"""The benchmark's synthetic knowledge bases: deterministic, valid, shaped like real ones."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import run_kbsite

from kbsite.content import load
from kbsite.content.load import MARKER_RE
from kbsite.dev import synth


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path):
    a = tree(synth.write_kb(tmp_path / "a", 24))
    b = tree(synth.write_kb(tmp_path / "b", 24))
    assert a == b
    assert len([k for k in a if k.endswith(".md")]) == 24
    other = tree(synth.write_kb(tmp_path / "c", 24, seed=synth.SEED + 1))
    assert other != a, "the seed must matter"


def test_output_passes_check(tmp_path):
    root = synth.write_kb(tmp_path / "kb", 60)
    result = run_kbsite("check", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "OK: 60 articles, 8 categories, 48 tools, 60 glossary terms." in result.stdout


def test_articles_are_shaped_like_real_ones(tmp_path):
    kb = load.load(synth.write_kb(tmp_path / "kb", 40) / "content")
    assert len(kb.categories) == 8
    glossary = [g.term for g in kb.glossary]
    for a in kb.articles:
        assert len(a.tables) == 3 and len(a.tools) == 3 and len(a.related) >= 3
        words = len(a.body.split()) + sum(
            len(c.split()) for t in a.tables.values() for row in t.cells() for c in row
        )
        assert 600 <= words <= 1100, (a.slug, words)
        assert a.body.count("\n## ") >= 3, "sections with headings"
        assert any(term in a.body for term in glossary), "glossary terms to link"
        assert re.search(r"\]\(\.\./[a-z]+/[a-z0-9-]+\.md\)", a.body), "an inline link to another article"


def test_stock_copy_has_the_same_articles(tmp_path):
    root = synth.write_kb(tmp_path / "kb", 16)
    stock = synth.write_stock(root, tmp_path / "stock", prune=True)
    pages = sorted((stock / "docs").glob("*/*.md"))
    assert len(pages) == 16 + len(synth.CATEGORIES)  # articles and one index per category
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    assert not any(MARKER_RE.match(line) for line in text.splitlines()), "every table marker became a table"
    assert text.count("## Related tools") == 16
    assert "navigation.prune" in (stock / "mkdocs.yml").read_text(encoding="utf-8")
