"""The knowledge base: the one model every output reads.

Loaded and validated once by `kbsite.content.load`; pages, generated pages, the
handbook, the bundle and the search index read these objects and nothing else.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass(frozen=True)
class TableKind:
    id: str
    caption: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Table:
    name: str
    kind: TableKind
    caption: str
    rows: tuple[dict[str, str], ...]

    def cells(self) -> list[list[str]]:
        """Rows as lists in column order."""
        return [[row[c.key] for c in self.kind.columns] for row in self.rows]


@dataclass(frozen=True)
class Category:
    id: str
    title: str
    description: str
    order: int

    @property
    def src_uri(self) -> str:
        return f"{self.id}/index.md"


@dataclass(frozen=True)
class Tool:
    id: str
    name: str
    kind: str
    url: str
    description: str
    onion: str | None = None

    @property
    def src_uri(self) -> str:
        return f"tools/{self.id}.md"

    @property
    def unencrypted(self) -> bool:
        return unencrypted(self.url)


@dataclass(frozen=True)
class GlossaryTerm:
    term: str
    definition: str
    aliases: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        return slugify(self.term)


@dataclass(frozen=True)
class ToolCitation:
    tool: Tool
    why: str


@dataclass
class Article:
    slug: str
    category: Category
    title: str
    summary: str
    tags: tuple[str, ...]
    updated: dt.date
    body: str  # Markdown after the front matter
    body_line: int  # line of the body's first line in the source file
    tools: tuple[ToolCitation, ...] = ()
    related_slugs: tuple[str, ...] = ()
    tables: dict[str, Table] = field(default_factory=dict)
    related: tuple[Article, ...] = field(
        default=(), repr=False
    )  # resolved once all are loaded; repr=False: cycles

    @property
    def src_uri(self) -> str:
        return f"{self.category.id}/{self.slug}.md"

    def tables_of_kind(self, kind: str) -> list[Table]:
        return [t for t in self.tables.values() if t.kind.id == kind]


@dataclass
class KnowledgeBase:
    site_name: str
    categories: list[Category]
    tools: dict[str, Tool]
    glossary: list[GlossaryTerm]
    table_kinds: dict[str, TableKind]
    articles: list[Article]  # category order, then title
    warnings: list = field(default_factory=list)  # ContentErrors that do not stop a build (strict does)

    def by_slug(self) -> dict[str, Article]:
        return {a.slug: a for a in self.articles}

    def by_src_uri(self) -> dict[str, Article]:
        return {a.src_uri: a for a in self.articles}

    def in_category(self, category: Category) -> list[Article]:
        return [a for a in self.articles if a.category is category]

    def citing(self, tool: Tool) -> list[Article]:
        return [a for a in self.articles if any(c.tool is tool for c in a.tools)]

    def recently_updated(self, n: int = 8) -> list[Article]:
        return sorted(self.articles, key=lambda a: (-a.updated.toordinal(), a.title))[:n]

    def edition_date(self) -> dt.date | None:
        return max((a.updated for a in self.articles), default=None)


# Latin letters that Unicode does not decompose into a base letter and an accent.
_LATIN = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i"}
)


def unencrypted(url: str) -> bool:
    """Plain http:// to a clearnet site: on Tor, an exit relay can read and change it.
    (An onion service is encrypted end to end, even over http://.)"""
    parts = urlsplit(url)
    return parts.scheme.lower() == "http" and not (parts.hostname or "").endswith(".onion")


def slugify(text: str) -> str:
    """Words in lower case joined by hyphens, for ids, anchors and file names.

    Latin letters lose their accents (`Tor Über` -> `tor-uber`); letters of other
    scripts, which have no one spelling in Latin letters, stay as they are
    (`Что такое Tor` -> `что-такое-tor`): readable, and valid in ids and URLs.
    """
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text.lower().translate(_LATIN)):
        kind = unicodedata.category(ch)[0]
        if kind == "M":
            if out and not out[-1].isascii():
                out.append(ch)  # a mark on a non-Latin letter is part of it (e.g. Devanagari)
        elif kind in "LN":
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return unicodedata.normalize("NFC", "".join(out)).strip("-")


def sort_key(title: str) -> str:
    """A–Z order that ignores case and leading punctuation."""
    return re.sub(r"^[^0-9a-z]+", "", title.lower())


MIN_RELATED = 3


def resolve_related(kb: KnowledgeBase) -> None:
    """Explicit related articles first, then the closest by category and tags."""
    slugs = kb.by_slug()
    for article in kb.articles:
        chosen = [slugs[s] for s in article.related_slugs]
        if len(chosen) < MIN_RELATED:
            tags = set(article.tags)

            def score(other: Article, tags: set = tags, article: Article = article) -> tuple:
                shared = len(tags & set(other.tags))
                same = other.category is article.category
                return (-(shared + 2 * same), sort_key(other.title))

            candidates = [a for a in kb.articles if a is not article and a not in chosen]
            chosen += sorted(candidates, key=score)[: MIN_RELATED - len(chosen)]
        article.related = tuple(chosen)
