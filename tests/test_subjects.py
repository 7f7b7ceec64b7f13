"""The subject index page (kbsite.site.subjects) of each language of the built starter
site: every tag, glossary term and tool with its articles, in the language's A–Z order,
every link landing on a page and anchor that exist; linked from the no-JavaScript bar."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kbsite.content import load
from kbsite.content.languages import declared
from kbsite.content.model import initial, sort_key
from kbsite.content.view import view
from kbsite.site.subjects import subjects
from kbsite.site.tokens import fold

ENTRY = re.compile(r'<dt id="([^"]+)">(.*?)</dt>\s*<dd>(.*?)</dd>', re.S)
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture(scope="module")
def starter_kb():
    root = Path(__file__).resolve().parent.parent
    return load.load(root / "content", "Anonymity Sense", declared("en", ["ja", "fa"]))


def entries(page: Path) -> list[tuple[str, list[str], list[str]]]:
    """(name, links in the name's line, article links) per entry, in page order."""
    body = page.read_text(encoding="utf-8").split('id="kb-content"')[1]
    out = []
    for _, name, dd in ENTRY.findall(body):
        plain = html.unescape(re.sub(r"<[^>]+>", "", name.split("<span")[0])).strip()
        out.append((plain, HREF.findall(name), HREF.findall(dd)))
    return out


@pytest.mark.parametrize("lang", ["en", "ja", "fa"])
def test_subject_index_lists_every_subject_in_order(starter_site, starter_kb, lang):
    kb = view(starter_kb, lang)
    page = starter_site / ("" if lang == "en" else lang) / "subjects.html"
    found = entries(page)
    names = [n for n, _, _ in found]
    assert names == sorted(names, key=lambda n: (sort_key(n, kb.script), n)), "the A–Z page's order"
    letters = re.findall(r'<h2 id="letter-\d+">([^<]+)</h2>', page.read_text(encoding="utf-8"))
    assert letters == list(dict.fromkeys(initial(n) for n in names))
    by_name = {fold(n): (links, arts) for n, links, arts in found}
    rel = page.parent

    def target(href: str) -> str:
        return (rel / urlsplit(href).path).resolve().relative_to(rel.resolve()).as_posix()

    for a in kb.articles:
        for tag in a.tags:
            assert a.src_uri.replace(".md", ".html") in map(target, by_name[fold(tag)][1]), (tag, a.title)
    for tool in kb.tools.values():
        links, arts = by_name[fold(tool.name)]
        assert f"tools/{tool.id}.html" in map(target, links)
        # A tag or term with the tool's name shares its entry: the citing articles are among them.
        assert {a.src_uri.replace(".md", ".html") for a in kb.citing(tool)} <= set(map(target, arts))
    for term in kb.glossary:
        assert any(
            f"glossary.html#{term.anchor}" == target(h) + "#" + urlsplit(h).fragment
            for h in by_name[fold(term.term)][0]
        )
    # Every link lands on a page that exists, and on an anchor that exists there.
    for _, links, arts in found:
        for href in links + arts:
            path = (rel / urlsplit(href).path).resolve()
            assert path.is_file(), href
            if frag := urlsplit(href).fragment:
                assert f'id="{frag}"' in path.read_text(encoding="utf-8"), href


def test_persian_subjects_follow_the_persian_alphabet(starter_site):
    text = (starter_site / "fa" / "subjects.html").read_text(encoding="utf-8")
    letters = re.findall(r'<h2 id="letter-\d+">([^<]+)</h2>', text)
    persian = [c for c in letters if "\u0600" <= c <= "\u06ff"]
    assert "پ" in persian and "ت" in persian and persian.index("پ") < persian.index("ت"), persian
    assert "گ" in persian and persian.index("گ") < persian.index("م"), "not Unicode's order"
    # A Persian index lists the Persian entries first, then those in Latin letters (tool names).
    assert letters[: len(persian)] == persian and "T" in letters[len(persian) :], letters


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_no_javascript_bar_links_the_subject_index(starter_site, lang):
    page = starter_site / ("" if lang == "en" else lang) / "network" / "tor-vs-vpn.html"
    noscript = page.read_text(encoding="utf-8").split("<noscript>")[1].split("</noscript>")[0]
    assert 'href="../subjects.html"' in noscript


def test_handbook_ends_with_the_subject_index_and_its_pages(starter_site, starter_kb):
    """Read back with poppler: a printed book's index, each entry with its articles' pages
    (in order), and each of those pages shows the article's title."""
    pdf = starter_site / "downloads" / "anonymity-sense-handbook.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = [" ".join(p.split()) for p in text.split("\f")]
    kb = view(starter_kb, "en")
    letters = subjects(kb)
    # The index's title followed by its first letter (later pages repeat the title as running
    # head); it opens a page, so pdftotext's form feed comes first on its line.
    start = re.search(rf"^\f?Subject index\n+{letters[0][0]}\n", text, re.M)
    assert start, "the subject index is in the book"
    lines = []
    for page in text[start.start() :].split("\f"):
        kept = [line for line in page.splitlines() if line.strip()]
        if kept and re.fullmatch(r"\d+", kept[-1]):
            kept.pop()  # the page's number
        lines += kept[1:] if kept[:1] == ["Subject index"] else kept
    entries = [s for _, group in letters for s in group if s.articles]
    at = 0
    for entry in entries:  # every entry, in order, then the pages of its articles
        at = lines.index(entry.name, at) + 1
        numbers = []
        while at < len(lines) and re.fullmatch(r"\d+(, \d+)*,?", lines[at]):
            numbers += [int(n) for n in re.findall(r"\d+", lines[at])]
            at += 1
        assert len(numbers) == len(entry.articles) and numbers == sorted(numbers), entry.name
        for article, number in zip(entry.articles, numbers, strict=True):
            # poppler joins a word broken at its hyphen: compare without
            assert " ".join(article.title.split()).replace("-", "") in pages[number - 1].replace("-", ""), (
                entry.name,
                article.title,
            )
    assert sum(len(e.articles) for e in entries) > 20
