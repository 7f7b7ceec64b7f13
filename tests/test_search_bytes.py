"""What a query costs at 1,000 articles: bytes loaded (from Chromium's request log), the
index's size on disk against the one-file-per-300-KB index it replaced, and the main
thread's longest task.

The index and kb-search.js are the real ones, written by kbsite.site.search for a
synthetic 1,000-article knowledge base; only the page around the box is a bare one, so
the test skips a full site build at that size (the bench builds it, see kbsite.dev.bench).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from browsers import PageLog

from kbsite.content import load
from kbsite.dev import synth
from kbsite.site import search, tokens

ARTICLES = 1000
ONE_WORD_KB, TWO_WORDS_KB = 250, 400
JS = Path(search.__file__).parent.parent / "templates" / "assets" / "javascripts" / "kb-search.js"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Search</title></head>
<body><div class="kb-search" data-kb-search></div>
<script src="assets/javascripts/kb-search.js" data-parts="{parts}" data-page-part="{part}" defer></script>
</body></html>
"""
LONGTASKS = """window.__kbLong = [];
new PerformanceObserver(l => { for (const e of l.getEntries()) window.__kbLong.push(e.duration); })
  .observe({type: 'longtask', buffered: true});"""


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> tuple[Path, search.SearchIndex, list]:
    tmp = tmp_path_factory.mktemp("search-1000")
    kb = load.load(synth.write_kb(tmp / "kb", ARTICLES) / "content", "Synthetic KB")
    index = search.build(kb)
    files = index.files
    site = tmp / "site"
    for path, text in files.items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(text, encoding="utf-8")
    (site / "assets" / "javascripts").mkdir(parents=True)
    shutil.copy(JS, site / "assets" / "javascripts" / "kb-search.js")
    (site / "index.html").write_text(PAGE.format(parts=index.parts, part=search.PAGE_PART), encoding="utf-8")
    return site, index, search.rows(kb)


def heavy_words(index: search.SearchIndex, rows: list, n: int) -> list[str]:
    """The n most used words of five letters or more (their parts and the typo part are
    loaded, and they have many results over many page parts): the costly queries."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(set(tokens.terms(" ".join(row[1:]))))

    def part(w: str) -> int:
        return tokens.bucket(w, index.parts)

    size = {n: len(index.files[f"search/t-{n}.js"].encode()) for n in range(index.parts)}
    ranked = sorted(
        (w for w in counts if len(w) >= 5),
        key=lambda w: (-(size[part(w)] + size[part(w[0] + w[2])]), -counts[w], w),
    )
    out: list[str] = []
    for w in ranked:  # one word per part: two words from one part would cost less
        if part(w) not in {part(o) for o in out}:
            out.append(w)
        if len(out) == n:
            return out
    raise AssertionError("too few words")


def query_bytes(chromium, site: Path, query: str) -> tuple[int, list[str], float]:
    page = chromium.new_page()
    log = PageLog(page)
    loaded: list[str] = []
    page.on("request", lambda r: loaded.append(r.url))
    page.add_init_script(LONGTASKS)
    page.goto((site / "index.html").as_uri())
    page.click(".kb-search__input")
    page.keyboard.type(query)
    page.wait_for_function(
        "q => document.querySelector('.kb-search__results').dataset.done === q", arg=query, timeout=20000
    )
    longest = page.evaluate("Math.max(0, ...window.__kbLong)")
    assert page.locator(".kb-search__hit").count() > 0
    assert not log.errors, log.errors
    page.close()
    parts = sorted({u.split("/search/")[1] for u in loaded if "/search/" in u})
    return sum((site / "search" / p).stat().st_size for p in parts), parts, longest


def test_one_and_two_word_queries_load_little(chromium, big):
    site, index, rows = big
    one, two = heavy_words(index, rows, 2)
    size1, parts1, long1 = query_bytes(chromium, site, one)
    size2, parts2, long2 = query_bytes(chromium, site, f"{one} {two}")
    print(f"\n{one!r}: {size1 / 1024:.0f} KB in {len(parts1)} files; '{one} {two}': {size2 / 1024:.0f} KB")
    assert size1 <= ONE_WORD_KB * 1024, parts1
    assert size2 <= TWO_WORDS_KB * 1024, parts2
    assert any(p.startswith("t-") for p in parts1) and any(p.startswith("p-") for p in parts1)
    assert len(parts2) > len(parts1), "the second word's part is loaded too"
    assert max(long1, long2) < 100, "the main thread is never blocked for 100 ms"


def test_whole_index_no_bigger_than_the_one_it_replaced(big):
    _, index, rows = big
    before = "kbSearchAdd([" + ",\n".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows
    )
    after = sum(len(t.encode()) for t in index.files.values())
    assert after <= 1.3 * len(before.encode()), (after, len(before.encode()))
