"""Offline search: the index built from the model, and the search box in real
browsers (Chromium and Firefox ESR) from file://, with no console error.

The words searched for are picked from the synthetic site's model: one that
stands only deep in one article's body, one that stands only in one table
cell, a tool's name, and a title word that other articles use in their text.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from pathlib import Path

import pytest
from browsers import PageLog
from conftest import run_kbsite
from synthsite import synth_kb, synth_root  # noqa: F401 (fixtures)

from kbsite.dev import synth
from kbsite.site import search

WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


def field_words(kb) -> dict[str, dict[str, set[str]]]:
    """word -> {article slug -> fields it appears in} (generated entries count as 'other')."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for a in kb.articles:
        fields = {
            "title": a.title,
            "summary": a.summary,
            "keys": " ".join([*a.tags, *(c.tool.name for c in a.tools)]),
            "why": " ".join(c.why for c in a.tools),
            "body": search.plain_text(a.body),
            "captions": " ".join(t.caption for t in a.tables.values()),
        }
        for i, cell in enumerate(c for t in a.tables.values() for row in t.cells() for c in row):
            fields[f"cell{i}"] = cell
        for name, text in fields.items():
            for w in words(text):
                found[w][a.slug].add(name)
    for row in search.rows(kb)[len(kb.articles) :]:
        for w in words(" ".join(row[1:])):
            found[w]["(other)"].add("other")
    return found


@pytest.fixture(scope="module")
def picks(synth_kb) -> dict[str, tuple[str, str]]:
    """query -> (kind, expected first article title)."""
    found = field_words(synth_kb)
    slugs = synth_kb.by_slug()
    deep = cell = title = None
    for w in sorted(found):
        where = found[w]
        if len(w) < 6 or len(where) == 0:
            continue
        slug, fields = next(iter(where.items())) if len(where) == 1 else (None, None)
        if slug and slug != "(other)" and fields == {"body"} and deep is None:
            body = search.plain_text(slugs[slug].body).lower()
            if body.find(w) > 1500:  # far beyond any title-and-first-300-characters index
                deep = (w, slugs[slug].title)
        if (
            slug
            and slug != "(other)"
            and len(fields) == 1
            and next(iter(fields)).startswith("cell")
            and cell is None
        ):
            cell = (w, slugs[slug].title)
        titled = [s for s, f in where.items() if "title" in f]
        if title is None and len(titled) == 1 and titled[0] != "(other)" and len(where) >= 3:
            title = (w, slugs[titled[0]].title)
    assert deep and cell and title, "the synthetic site must offer every kind of word"
    tool = next(t for t in synth_kb.tools.values() if synth_kb.citing(t))
    return {
        "deep body word": deep,
        "table cell word": cell,
        "title word": title,
        "tool name": (tool.name, tool.name),
        "tool citing": (tool.name, synth_kb.citing(tool)[0].title),
    }


# ---------------------------------------------------------------- index


def test_plain_text_keeps_words_drops_markup():
    md = 'Intro with **bold**, `code` and [a link](../x/y.md).\n\n## Heading\n\n- item one\n{{ table: t0 }}\n!!! note "Mind"\n    Body'
    assert search.plain_text(md) == 'Intro with bold, code and a link. Heading item one "Mind" Body'


def test_index_holds_body_cells_and_tools(synth_kb, picks):
    text = "\n".join(" ".join(row) for row in search.rows(synth_kb)).lower()
    for query, _ in picks.values():
        assert query.lower() in text
    # Addresses without scheme: the offline audit fails any script string starting with one.
    assert "://" not in text and next(iter(synth_kb.tools.values())).url.split("//")[1] in text


def built_index(site: Path) -> dict[str, str]:
    return {
        p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted((site / search.INDEX_DIR).glob("*.js"))
    }


def test_index_is_deterministic_and_has_no_paths(synth_root, synth_kb, tmp_path):
    built = built_index(synth_root / "site")
    index = search.build(synth_kb)
    assert built == index.files
    assert len([p for p in built if "/t-" in p]) == index.parts >= 16, "split by term"
    again = synth.write_kb(tmp_path / "again", 40)
    assert run_kbsite("build", cwd=again).returncode == 0
    assert built_index(again / "site") == built
    for name, text in built.items():
        assert str(synth_root) not in text and "/tmp/" not in text and str(Path.home()) not in text
        assert re.fullmatch(r"kbSearch(Terms|Pages)\(.*\);\n", text, re.S), name


def test_postings_name_pages_and_best_fields():
    table = [
        ["a.html", "Zebra crossing", "", "", "", "zebra zebra"],
        ["b.html", "Other", "", "a zebra", "", ""],
        ["c.html", "Third", "", "", "zebras", "zebra"],
    ]
    got = search.postings(table)
    # (page - previous page) * 4 + field (3 title, 2 tags/tools, 1 summary, 0 body)
    assert got["zebra"] == [0 * 4 + 3, 1 * 4 + 1, 1 * 4 + 0]
    assert got["zebras"] == [2 * 4 + 2]


def test_page_without_javascript_links_to_the_indexes(synth_root, synth_kb):
    page = next((synth_root / "site" / "network").glob("*.html")).read_text(encoding="utf-8")
    box = page.split("data-kb-search")[1].split("</div>")[0]
    assert '<a class="kb-search__az" href="../a-z.html">A–Z index</a>' in box
    assert '<a class="kb-search__az" href="../subjects.html">Subject index</a>' in box
    parts, part = search.build(synth_kb).parts, search.PAGE_PART
    script = f'<script src="../assets/javascripts/kb-search.js" data-parts="{parts}" data-page-part="{part}" defer>'
    assert script in page
    assert "<script>" not in page.split("data-kb-search")[1].split("</header>")[0], (
        "no inline script by the box"
    )


def test_navigation_cache_gives_materials_html(synth_root, tmp_path):
    """The cached navigation (kbsite/navcache.py) against Material's own, page by page."""
    slow = synth.write_kb(tmp_path / "slow", 40)
    cfg = slow / "mkdocs.yml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace("  - kbsite\n", "  - kbsite:\n      fast_nav: false\n"),
        encoding="utf-8",
    )
    assert run_kbsite("build", cwd=slow).returncode == 0
    fast_pages = sorted((synth_root / "site").rglob("*.html"))
    assert len(fast_pages) > 40
    for page in fast_pages:
        rel = page.relative_to(synth_root / "site")
        assert page.read_bytes() == (slow / "site" / rel).read_bytes(), rel


# ---------------------------------------------------------------- browsers


def chromium_search(browser, url: str, query: str) -> list[dict]:
    page = browser.new_page()
    log = PageLog(page)
    try:
        page.goto(url)
        page.click(".kb-search__input")
        page.keyboard.type(query)
        page.wait_for_function(DONE_JS, timeout=20000)
        assert not log.errors, log.errors
        return page.evaluate("() => {" + RESULTS_JS + "}")
    finally:
        page.close()


# The box marks its panel with the query whose results (or none) it shows.
DONE_JS = (
    "() => { const p = document.querySelector('.kb-search__results');"
    " return !!p && p.dataset.done === document.querySelector('.kb-search__input').value.trim(); }"
)
RESULTS_JS = """return Array.from(document.querySelectorAll('.kb-search__hit')).map(a => ({
  title: a.querySelector('.kb-search__title').textContent, href: a.href,
  snippet: a.querySelector('.kb-search__snippet').textContent,
  marks: Array.from(a.querySelectorAll('mark')).map(m => m.textContent)}))"""


def firefox_search(fx, url: str, query: str) -> list[dict]:
    fx.console_errors()  # earlier pages' messages are not this search's
    fx.open(url)
    fx.client.find_element("css selector", ".kb-search__input").send_keys(query)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done = fx.client.execute_script("return (" + DONE_JS + ")();")
        if done:
            assert not fx.console_errors()
            return fx.client.execute_script(RESULTS_JS)
        time.sleep(0.1)
    raise AssertionError(f"no search results for {query!r} in Firefox")


@pytest.fixture(scope="module", params=["chromium", "firefox"])
def run_search(request, synth_root):
    start = (sorted((synth_root / "site" / "devices").glob("*.html"))[0]).as_uri()
    if request.param == "chromium":
        browser = request.getfixturevalue("chromium")
        yield lambda q: chromium_search(browser, start, q)
    else:
        fx = request.getfixturevalue("firefox")
        fx.standard()  # JavaScript on; the session's Firefox starts at Safest
        try:
            yield lambda q: firefox_search(fx, start, q)
        finally:
            fx.safest()


@pytest.mark.parametrize("kind", ["deep body word", "table cell word", "tool citing"])
def test_search_finds(run_search, picks, kind, synth_root, synth_kb):
    query, title = picks[kind]
    results = run_search(query)
    titles = [r["title"] for r in results]
    assert title in titles, f"{kind} {query!r}: {titles}"
    hit = results[titles.index(title)]
    target = Path(hit["href"].removeprefix("file://"))
    assert target.is_file() and target.is_relative_to(synth_root / "site"), hit["href"]
    assert hit["snippet"] == next(a.summary for a in synth_kb.articles if a.title == title)


@pytest.mark.parametrize("kind", ["title word", "tool name"])
def test_title_match_ranks_first(run_search, picks, kind):
    query, title = picks[kind]
    results = run_search(query)
    assert len(results) >= 2, "the word also stands in other entries"
    assert results[0]["title"] == title, [r["title"] for r in results]
