"""No English interface word in a Japanese or Persian page, handbook or e-book.

Every generated text node (and every label a reader or a screen reader meets: aria-label,
title, alt, placeholder, data-label) is checked, except content: text that stands in the
site's sources (articles, data files, mkdocs.yml) is the editors' words, not kbsite's.
What is left is kbsite's (or Material's) own, and each Latin-script word in it must be one
the language's catalog itself writes (JavaScript, PDF, URL...), else it was left in English.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest
from conftest import ROOT

from kbsite.content import languages, load
from kbsite.content.view import view
from kbsite.outputs import epub, handbook
from kbsite.site import i18n

TEMPLATES = Path(i18n.__file__).parent.parent / "templates"
LABELS = ("aria-label", "title", "alt", "placeholder", "data-label", "data-kb-label")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
# Regions another engineer owns (search, downloads and verify pages), checked in their tests.
OWNED_ELSEWHERE = ("downloads.html", "verify.html")


class TextNodes(HTMLParser):
    """Text nodes and reader-facing attribute values, outside scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.skip = 0
        self.in_search = 0  # the search box: the search work owns its words

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "style", "code"):  # commands and file names are not words
            self.skip += 1
        if self.in_search or "data-kb-search" in found:
            self.in_search += 1
        self.texts += [v for k, v in attrs if k in LABELS and v and not self.in_search]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self.skip -= 1
        if self.in_search and tag in (
            "div",
            "form",
            "a",
            "input",
            "label",
            "span",
            "p",
            "ul",
            "li",
            "button",
        ):
            self.in_search -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip and not self.in_search and data.strip():
            self.texts.append(data.strip())


def sources(root: Path) -> str:
    """Everything the editors wrote, whitespace folded: text found in it is content."""
    files = sorted((root / "content").rglob("*.md")) + sorted((root / "content").rglob("*.yml"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in [*files, root / "mkdocs.yml"])
    return " ".join(text.split())


def catalog(lang: str) -> tuple[set[str], list[str]]:
    """The Latin-script words the catalog's own translations use, and its whole words
    (the ones without placeholders, longest first)."""
    messages = i18n.translations(lang)._catalog  # type: ignore[attr-defined]
    assert messages, f"no catalog for {lang}"
    texts = [str(m) for m in messages.values() if m]
    # Not from the USB texts, which quote gpg's and Tails' English ("Good signature").
    own = [
        re.sub(r'"[^"]*"|«[^»]*»|「[^」]*」|%\(\w+\)[sd]', "", t)
        for t in texts
        if "\n" not in t and "gpg" not in t
    ]
    words = {w.lower() for text in own for w in WORD.findall(text)}
    return words, sorted((t for t in texts if "%(" not in t and len(t) > 1), key=len, reverse=True)


def names(root: Path) -> set[str]:
    """Words of the names templates put beside their own words ("Tor Browser (3 articles)")."""
    kb = load.load(root / "content", "Anonymity Sense", languages.declared("en", ["ja", "fa"]))
    found = {kb.site_name}
    for v in (kb, view(kb, "ja"), view(kb, "fa")):
        found |= {t.name for t in v.tools.values()} | {c.title for c in v.categories}
        found |= {a.title for a in v.articles} | {t.term for t in v.glossary}
        found |= {alias for t in v.glossary for alias in t.aliases}
    return {w for name in found for w in WORD.findall(name)}


def english_left(html: str, content: tuple[str, set[str]], words: tuple[set[str], list[str]]) -> list[str]:
    """Each text node's first Latin-script word that neither content nor the catalog explains.
    A node can mix both ("Why it is listed: <why>"): the catalog's words are taken out
    first, and each piece left that stands in the sources is content."""
    corpus, name_words = content
    allowed, messages = words
    parser = TextNodes()
    parser.feed(html)
    left = []
    for text in parser.texts:
        folded = " ".join(text.split())
        if folded in corpus:
            continue
        for message in messages:
            folded = folded.replace(message, " | ")
        for piece in re.split(r"\s*[|—·]\s*", folded):
            piece = piece.strip(" ()[]:;,.、。،؛")
            if not piece or piece in corpus:
                continue
            odd = [w for w in WORD.findall(piece) if w.lower() not in allowed and w not in name_words]
            if odd:
                left.append(f"{odd[0]!r} in {piece[:80]!r}")
                break
    return left


@pytest.fixture(scope="module")
def corpus(starter_site: Path) -> tuple[str, set[str]]:
    return sources(starter_site.parent), names(starter_site.parent)


@pytest.mark.parametrize("lang", ["ja", "fa"])
def test_no_english_interface_word_in_the_pages(starter_site, corpus, lang):
    allowed = catalog(lang)
    found = {}
    for page in sorted((starter_site / lang).rglob("*.html")):
        if page.name in OWNED_ELSEWHERE:
            continue
        left = english_left(page.read_text(encoding="utf-8"), corpus, allowed)
        if left:
            found[str(page.relative_to(starter_site))] = left[:5]
    assert not found, "English interface words left:\n" + "\n".join(f"{k}: {v}" for k, v in found.items())


def test_css_labels_come_from_the_page():
    # At Safest the menu, search and home buttons are labelled by CSS: no English in the CSS.
    css = (TEMPLATES / "assets/stylesheets/kbsite.css").read_text(encoding="utf-8")
    strings = [
        text for rule in re.findall(r"content:([^;}]*)", css) for text in re.findall(r'"([^"]*)"', rule)
    ]
    words = [text for text in strings if WORD.search(text)]
    assert not words, words


@pytest.fixture(scope="module")
def books(starter_site: Path) -> dict[str, tuple[str, dict[str, bytes]]]:
    kb = load.load(starter_site.parent / "content", "Anonymity Sense", languages.declared("en", ["ja", "fa"]))
    loader = jinja2.FileSystemLoader(TEMPLATES)
    out = {}
    for lang in ("ja", "fa"):
        v = view(kb, lang)
        out[lang] = (
            handbook.book_html(v, loader, language=lang, fingerprint="0123 4567 8901"),
            epub.book_files(
                v, loader, starter_site.parent / "content", language=lang, fingerprint="0123 4567 8901"
            ),
        )
    return out


@pytest.mark.parametrize("lang", ["ja", "fa"])
def test_no_english_interface_word_in_the_books(starter_site, corpus, books, lang):
    allowed = catalog(lang)
    book, files = books[lang]
    # The CSS's own words ("see p.") are kbsite's too.
    style = book[book.index("<style>") : book.index("</style>")]
    css = [text for rule in re.findall(r"content:([^;}]*)", style) for text in re.findall(r'"([^"]*)"', rule)]
    left = english_left(book, corpus, allowed) + [c for c in css if WORD.search(c)]
    for name, data in sorted(files.items()):
        if name.endswith((".xhtml", ".html")):
            left += [f"{name}: {w}" for w in english_left(data.decode(), corpus, allowed)]
    assert not left, left


def test_start_here_lists_every_language_and_links_its_home(tmp_path):
    from kbsite.outputs.bundle import bundle_files

    kb = load.load(ROOT / "content", "Anonymity Sense", languages.declared("en", ["ja", "fa"]))
    site = tmp_path / "site"
    for rel in ("index.html", "ja/index.html", "fa/index.html", "verify.html", "ja/verify.html"):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text("<p>page</p>")
    files = bundle_files(site, "Anonymity Sense", kb)
    start = files["START-HERE.html"].decode()
    nav = start[start.index('<ul class="languages">') : start.index("</ul>")]
    assert [m for m in re.findall(r">([^<]+)</a>", nav)] == ["English", "日本語", "فارسی"]
    for code, home in (("en", "site/index.html"), ("ja", "site/ja/index.html"), ("fa", "site/fa/index.html")):
        part = start[start.index(f'<section class="language" id="{code}"') :]
        part = part[: part.index("</section>")]
        assert f'<a class="open" href="{home}">' in part
        assert ('dir="rtl"' in part.split(">")[0]) == (code == "fa")
        instructions = "OPEN-IN-TAILS.txt" if code == "en" else f"OPEN-IN-TAILS.{code}.txt"
        assert f'href="{instructions}"' in part and instructions in files
    assert "ナレッジベースを開く" in start and "باز کردن پایگاه دانش" in start
    assert 'href="site/ja/verify.html">このコピーを検証する</a>' in start
    assert (
        "AppArmor" in files["OPEN-IN-TAILS.ja.txt"].decode()
        and "なぜ先にコピーするのか" in files["OPEN-IN-TAILS.ja.txt"].decode()
    )
    assert "چرا اول کپی کنیم؟" in files["OPEN-IN-TAILS.fa.txt"].decode()
    assert files["OPEN-IN-TAILS.txt"].decode().isascii()
