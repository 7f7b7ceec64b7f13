"""The offline search index, built from the model at build time, loaded by need.

No HTML is parsed again: each article gives its title, category, summary,
tags and cited tool names, its body as plain text and every table cell. Tool
pages, glossary entries and categories are searchable too.

The index is inverted and split, so a query over a slow onion circuit loads a
few small parts, not the whole index. Every part is a script that calls a
global function (a script tag loads from file:// where fetch() cannot):

- `search/t-N.js`: every term of bucket N (kbsite.site.tokens.bucket) with its
  postings, so a word and all its completions sit in one part, and the box's words;
- `search/p-N.js`: the records of PAGE_PART pages (address, title, where, summary),
  loaded only for the pages a query shows.

The number of term parts grows with the index (about TERM_PART_BYTES each); pages
tell the script (data-parts, data-page-part), so a query needs no list first.

A posting is one integer per page: (page number - previous page number) * 4 + the
best field the term stands in (3 title, 2 tags and tools, 1 summary, 0 body).
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ..content.load import MARKER_RE
from ..content.model import Article, KnowledgeBase
from . import i18n, tokens
from .pages import GLOSSARY
from .render import page_url

INDEX_DIR = "search"
PAGE_PART = 16  # pages per record part: a query shows 10 results, so loads up to 10 small parts
TERM_PART_BYTES = 8_000  # on average: a part also holds every term of its two-letter start
SUMMARY_CHARS = 160  # a result's snippet: a long summary or category description is cut

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"<[^>]+>|\{:[^}]*\}|[`*]+|__")  # a lone _ may be part of a word
_LINE_START = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s?|!!!\s*\w+|\?\?\?\+?\s*\w+)", re.M)
# Addresses are indexed without their scheme: the index is a script, and the
# offline audit rightly fails a build on any script string that starts with one.
_SCHEME = re.compile(r"\b[a-z][a-z0-9+.-]*://", re.I)


# Memoised, as `_field_terms` below: the live preview's rebuilds read mostly the same
# bodies again (kbsite.site.pagecache), and the search index and the subject index each
# need every body's words.
@functools.lru_cache(maxsize=2**13)
def plain_text(markdown: str) -> str:
    """Markdown prose as plain words (enough for search; not a renderer)."""
    lines = [line for line in markdown.splitlines() if not MARKER_RE.match(line)]
    text = _LINE_START.sub(" ", "\n".join(lines))
    text = _LINK.sub(r"\1", text)
    return " ".join(_MARKUP.sub("", text).split())


def _article_row(a: Article) -> list[str]:
    cells = " ".join(" ".join([t.caption, *(c for row in t.cells() for c in row)]) for t in a.tables.values())
    keys = " ".join([*a.tags, *(c.tool.name for c in a.tools)])
    why = " ".join(c.why for c in a.tools)
    return [
        page_url(a.src_uri),
        a.title,
        a.category.title,
        a.summary,
        keys,
        " ".join(p for p in (plain_text(a.body), cells, why) if p),
    ]


def rows(kb: KnowledgeBase) -> list[list[str]]:
    """[url, title, where, summary, keywords, text] per searchable page or entry."""
    _: Callable[[str], str] = i18n.translations(i18n.code(kb)).gettext
    out = [_article_row(a) for a in kb.articles]
    out += [
        [page_url(c.src_uri), _("Category: %s") % c.title, _("Category page"), c.description, "", ""]
        for c in kb.categories
    ]
    out += [
        [page_url(t.src_uri), t.name, _("Tool · %s") % t.kind, t.description, t.id, t.url]
        for t in kb.tools.values()
    ]
    out += [
        [f"{page_url(GLOSSARY)}#{g.anchor}", g.term, _("Glossary"), g.definition, " ".join(g.aliases), ""]
        for g in kb.glossary
    ]
    return [[row[0], *(_SCHEME.sub("", text) if "://" in text else text for text in row[1:])] for row in out]


def _script(call: str, *args: object) -> str:
    return (
        f"{call}(" + ",".join(json.dumps(a, ensure_ascii=False, separators=(",", ":")) for a in args) + ");\n"
    )


def _snippet(text: str) -> str:
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text.rfind(" ", 0, SUMMARY_CHARS)
    return text[: cut if cut > SUMMARY_CHARS // 2 else SUMMARY_CHARS] + " …"


def words(kb: KnowledgeBase) -> dict[str, str]:
    """The search box's messages in the index's language (%s: the query, %d: a number);
    the page itself carries the few it needs before any part has loaded."""
    _ = i18n.translations(i18n.code(kb)).gettext
    return {
        "none": _("No article matches “%s”."),
        "subjects": _("Look it up in the subject index"),
        "one": _("1 result"),
        "many": _("%d results"),
        "best": _(", best %d shown"),
    }


@functools.lru_cache(maxsize=2**15)  # four fields per row
def _field_terms(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(tokens.terms(text)))


def postings(table: list[list[str]]) -> dict[str, list[int]]:
    """term -> encoded postings (see the module's docstring), terms and pages in order."""
    found: dict[str, list[int]] = defaultdict(list)
    for page, row in enumerate(table):
        best: dict[str, int] = {}
        # The category ("where") counts as a tag, as it did in the one-file index.
        for field, text in ((0, row[5]), (1, row[3]), (2, f"{row[2]} {row[4]}"), (3, row[1])):
            best.update(dict.fromkeys(_field_terms(text), field))  # later fields are better
        for term, field in best.items():
            found[term].append(page * 4 + field)
    out = {}
    for term in sorted(found):
        prev, enc = 0, []
        for value in found[term]:
            enc.append(value - prev * 4)
            prev = value // 4
        out[term] = enc
    return out


@dataclass
class SearchIndex:
    parts: int  # term parts
    files: dict[str, str]  # path under the site -> text


def build(kb: KnowledgeBase) -> SearchIndex:
    """Every file of the index (deterministic)."""
    table = rows(kb)
    terms = postings(table)
    size = sum(len(t.encode()) + 4 * len(e) for t, e in terms.items())
    parts = 16
    while parts < 4096 and size / parts > TERM_PART_BYTES:
        parts *= 2
    buckets: list[dict[str, list[int]]] = [{} for _ in range(parts)]
    for term, enc in terms.items():
        buckets[tokens.bucket(term, parts)][term] = enc
    said = words(kb)
    out = {f"{INDEX_DIR}/t-{n}.js": _script("kbSearchTerms", n, b, said) for n, b in enumerate(buckets)}
    records = [[r[0], r[1], r[2], _snippet(r[3])] for r in table]
    for n in range(0, len(records), PAGE_PART):
        out[f"{INDEX_DIR}/p-{n // PAGE_PART}.js"] = _script(
            "kbSearchPages", n // PAGE_PART, records[n : n + PAGE_PART]
        )
    return SearchIndex(parts, out)
