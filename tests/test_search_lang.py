"""Search in every language on the built starter site (en, ja, fa), in Chromium from file://:
one tokeniser in Python and JavaScript, recall in Japanese and Persian bodies and table
cells, typo tolerance and prefixes, ranking by field, and the ARIA combobox by keyboard.

Words are picked from the model, not written down: a word that stands in one article's
body only, and one that stands in one table cell only.
"""

from __future__ import annotations

import re
from pathlib import Path

import axe
import pytest
from browsers import PageLog

from kbsite.content import load
from kbsite.content.languages import declared
from kbsite.content.model import KnowledgeBase
from kbsite.content.view import view
from kbsite.site import search, tokens

# The box marks its panel with the query whose results (or none) it shows.
DONE_JS = (
    "() => { const p = document.querySelector('.kb-search__results');"
    " return !!p && p.dataset.done === document.querySelector('.kb-search__input').value.trim(); }"
)
TITLES_JS = "() => Array.from(document.querySelectorAll('.kb-search__title')).map(t => t.textContent)"
WORDS = {"ja": re.compile(r"[\u30a0-\u30ff\u4e00-\u9fff]{3,}"), "fa": re.compile(r"[\u0600-\u06ff]{5,}")}


@pytest.fixture(scope="module")
def starter_kb() -> KnowledgeBase:
    root = Path(__file__).resolve().parent.parent
    return load.load(root / "content", "Anonymity Sense", declared("en", ["ja", "fa"]))


@pytest.fixture(scope="module")
def page(chromium, starter_site):
    page = chromium.new_page()
    log = PageLog(page)
    yield page, log
    page.close()


def search_in(page, url: str, query: str) -> list[str]:
    p, log = page
    p.goto(url)
    p.click(".kb-search__input")
    p.keyboard.type(query)
    p.wait_for_function(DONE_JS, timeout=20000)
    assert not log.errors, log.errors
    return p.evaluate(TITLES_JS)


def start(site: Path, lang: str) -> str:
    return (site / ("" if lang == "en" else lang) / "index.html").as_uri()


# ---------------------------------------------------------------- one tokeniser


SAMPLES = [
    "Métadonnées, naïve café: ÉTÉ",
    "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３",
    "Что такое Tor? Ёлка",
    "メタデータを消す、ｶﾀｶﾅ と Tor Browser",
    "一",
    "می‌خواهم كتاب يك ۱۲۳ ٤٥ مُحَمَّد",
    "हिन्दी शब्द",
    "snake_case and x_y",
    "İstanbul straße",
]


def test_browser_and_build_make_the_same_terms(page, starter_site, starter_kb):
    p, log = page
    p.goto(start(starter_site, "en"))
    texts = list(SAMPLES)
    for lang in ("ja", "fa"):
        texts += [search.plain_text(a.body) for a in view(starter_kb, lang).articles[:8]]
    got = p.evaluate(
        "texts => texts.map(t => { const k = window.kbSearchTokens, terms = k.terms(t);"
        " return [terms, terms.map(w => [k.bucket(w, 16), k.bucket(w, 1024)]), k.terms(t, true)]; })",
        texts,
    )
    for text, (terms, buckets, query) in zip(texts, got, strict=True):
        assert terms == tokens.terms(text), text[:80]
        assert buckets == [[tokens.bucket(t, 16), tokens.bucket(t, 1024)] for t in terms]
        assert query == tokens.terms(text, query=True)
    assert not log.errors


def test_terms_fold_scripts():
    assert tokens.terms("Métadonnées ÉTÉ") == ["metadonnees", "ete"]
    assert tokens.terms("メタデータ") == ["メタ", "タデ", "デー", "ータ"]
    assert tokens.terms("كتاب يك") == tokens.terms("کتاب یک")
    assert tokens.terms("می\u200cخواهم") == ["میخواهم", "می", "خواهم"]
    assert tokens.terms("می\u200cخواهم", query=True) == ["میخواهم"]
    assert tokens.terms("۱۲۳") == ["123"]


# ---------------------------------------------------------------- recall in ja and fa


def unique_words(kb: KnowledgeBase, lang: str) -> dict[str, tuple[str, str]]:
    """'body' and 'cell' -> (word, article title): a word of that script standing in exactly
    one place of the whole index, in an article of this language."""
    rows = search.rows(kb)
    texts = [" ".join(r[1:]) for r in rows]
    out: dict[str, tuple[str, str]] = {}
    for a in kb.articles:
        if a.lang != lang:
            continue
        cells = [c for t in a.tables.values() for row in t.cells() for c in row]
        for kind, places in (("body", [search.plain_text(a.body)]), ("cell", cells)):
            if kind in out:
                continue
            for place in places:
                for word in sorted(set(WORDS[lang].findall(place))):
                    if sum(t.count(word) for t in texts) == 1 and sum(p.count(word) for p in places) == 1:
                        out[kind] = (word, a.title)
                        break
                if kind in out:
                    break
    assert set(out) == {"body", "cell"}, f"the {lang} starter offers every kind of word"
    return out


@pytest.mark.parametrize("lang", ["ja", "fa"])
def test_recall_in_japanese_and_persian(page, starter_site, starter_kb, lang):
    kb = view(starter_kb, lang)
    for kind, (word, title) in unique_words(kb, lang).items():
        titles = search_in(page, start(starter_site, lang), word)
        assert title in titles, f"{lang} {kind} word {word!r}: {titles}"
        if lang == "fa" and re.search("[یک]", word):  # typed with Arabic letters
            arabic = word.replace("ی", "ي").replace("ک", "ك")
            assert title in search_in(page, start(starter_site, lang), arabic)


# ---------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ("tials", "Tails"),
        ("metdata", "metadata"),
        ("Tials", "Tails"),
        ("metad", "metadata"),
        ("anonymi", "anonym"),
    ],
)
def test_typo_and_prefix(page, starter_site, query, expect):
    titles = search_in(page, start(starter_site, "en"), query)
    assert titles and expect.lower() in titles[0].lower(), titles


def expected_scores(kb: KnowledgeBase, word: str) -> dict[str, float]:
    """Page address -> best weight of `word` (exact 1, prefix 0.75) by field: title >
    tags/tools (and category) > summary > body, the ranking the issue asks for."""
    out: dict[str, float] = {}
    for row in search.rows(kb):
        best = 0.0
        for weight, text in ((64, row[1]), (16, f"{row[2]} {row[4]}"), (4, row[3]), (1, row[5])):
            for term in tokens.terms(text):
                if term == word:
                    best = max(best, weight)
                elif term.startswith(word):
                    best = max(best, weight * 0.75)
        if best:
            out[row[0]] = best
    return out


@pytest.mark.parametrize("word", ["tor", "vpn", "data", "exit", "file"])
def test_ranking_title_then_tags_then_summary_then_body(page, starter_site, starter_kb, word):
    scores = expected_scores(view(starter_kb, "en"), word)
    assert len({int(s) for s in scores.values()}) >= 3, "the word stands in several kinds of field"
    search_in(page, start(starter_site, "en"), word)
    hrefs = page[0].evaluate(
        "() => Array.from(document.querySelectorAll('.kb-search__hit')).map(a => a.href)"
    )
    root = starter_site.as_uri() + "/"
    got = [scores[h.removeprefix(root)] for h in hrefs]
    assert got == sorted(got, reverse=True), list(zip(hrefs, got, strict=True))
    assert len(got) == min(10, len(scores))
    assert got[-1] >= sorted(scores.values(), reverse=True)[len(got) - 1], "no better page left out"


def test_no_results_say_so_and_offer_the_subject_index(page, starter_site):
    p, _ = page
    assert search_in(page, start(starter_site, "fa"), "qqqzzzxx") == []
    status = p.locator(".kb-search__status")
    assert "qqqzzzxx" in status.inner_text() and "«" in status.inner_text(), "in Persian"
    href = status.locator("a").get_attribute("href")
    assert href and Path(href.removeprefix("file://")) == starter_site / "fa" / "subjects.html"


# ---------------------------------------------------------------- keyboard


def test_combobox_by_keyboard(page, starter_site):
    p, _ = page
    titles = search_in(page, start(starter_site, "en"), "tor")
    assert len(titles) >= 3
    box = p.locator(".kb-search__input")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "true"
    listbox = p.locator("#" + box.get_attribute("aria-controls"))
    assert listbox.get_attribute("role") == "listbox"
    assert re.match(r"\d+ results", p.locator(".kb-search [role=status]").inner_text()), (
        "the count is announced"
    )

    def active() -> str | None:
        ref = box.get_attribute("aria-activedescendant")
        return ref and p.locator("#" + ref).get_attribute("aria-selected") == "true" and ref

    p.keyboard.press("ArrowDown")
    first = active()
    p.keyboard.press("ArrowDown")
    second = active()
    assert first and second and first != second
    p.keyboard.press("ArrowUp")
    assert active() == first
    # The open list, an option active: the axe gate's rules hold there too.
    axe.start(p, axe.axe_source(), js=True)
    assert not axe.unexpected({p.url: axe.finish(p)}, str)
    p.keyboard.press("ArrowUp")
    assert active() == listbox.locator("[role=option]").last.get_attribute("id"), "wraps to the last"
    p.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and p.locator(".kb-search__results").is_hidden()
    assert p.evaluate("document.activeElement.classList.contains('kb-search__input')"), "focus stays"
    p.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-expanded") == "true" and active() == first
    target = p.locator("#" + first).get_attribute("href")
    p.keyboard.press("Enter")
    p.wait_for_url(target)
