"""The knowledge base: the one model every output reads.

Loaded and validated once by `kbsite.content.load`; pages, generated pages, the
handbook, the bundle and the search index read these objects and nothing else.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .freshness import Period
from .languages import Language, script_of


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
    key: str = ""  # in a translation: the original term, which names the anchor in every language

    @property
    def anchor(self) -> str:
        return slugify(self.key or self.term)


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
    # A translation: its language, the original it translates, and the original's
    # `updated` date it was made from (kbsite.content.translations).
    lang: str = ""  # "" for an article in the original language
    original: Article | None = field(default=None, repr=False)
    translates: dt.date | None = None
    sort_as: str = ""  # the title's reading, where its script does not sort by itself (kanji)
    reviewed: dt.date | None = None  # when an editor last checked its advice (kbsite.content.freshness)

    @property
    def src_uri(self) -> str:
        return f"{self.category.id}/{self.slug}.md"

    @property
    def source_path(self) -> str:
        """The file it was read from, relative to the content folder."""
        return f"{self.category.id}/{self.slug}.{self.lang}.md" if self.lang else self.src_uri

    @property
    def sort_title(self) -> str:
        return self.sort_as or self.title

    @property
    def last_reviewed(self) -> dt.date:
        """Its `reviewed:` date, else its `updated:` date; a translation shares its original's."""
        source = self.original or self
        return source.reviewed or source.updated

    @property
    def outdated(self) -> bool:
        """A translation made from an older revision of its original."""
        return bool(self.original and self.translates and self.translates < self.original.updated)

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
    # The original language first, then each translation language (kbsite.content.languages).
    languages: tuple[Language, ...] = ()
    # language -> original's src_uri -> its translation
    translations: dict[str, dict[str, Article]] = field(default_factory=dict)
    # language -> data file name ("tools", ...) -> entry id -> translated fields
    data_translations: dict[str, dict[str, dict[str, dict[str, Any]]]] = field(default_factory=dict)
    lang: str = ""  # a language's view (kbsite.content.view): its code; "" for the original
    # Reviews (kbsite.content.freshness): the period from mkdocs.yml and the build's date.
    review_every: Period | None = None
    today: dt.date | None = None

    @property
    def language(self) -> Language | None:
        """The language this knowledge base is read in, when languages are declared."""
        code = self.lang or (self.languages[0].code if self.languages else "")
        return next((x for x in self.languages if x.code == code), None)

    @property
    def script(self) -> str:
        """The script its indexes list first (Language.script); "" to sort as it comes."""
        return self.language.script if self.language else ""

    def is_fallback(self, article: Article) -> bool:
        """An original shown in a translation's view: not translated yet."""
        return bool(self.lang) and not article.lang

    def by_slug(self) -> dict[str, Article]:
        return {a.slug: a for a in self.articles}

    def by_src_uri(self) -> dict[str, Article]:
        return {a.src_uri: a for a in self.articles}

    def review_due(self, article: Article) -> dt.date | None:
        """When `article` is (or was) due for its next review; None without `review_every`."""
        return self.review_every.after(article.last_reviewed) if self.review_every else None

    def overdue(self, article: Article) -> bool:
        due = self.review_due(article)
        return bool(due and self.today and due <= self.today)

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


# Persian letters in alphabet order where it differs from Unicode's (پ چ ژ گ sit apart there).
_PERSIAN = "آاأإبپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیئ"
_PERSIAN_KEY = {ord(c): chr(0xE000 + i) for i, c in enumerate(_PERSIAN)} | {
    ord("ك"): chr(0xE000 + _PERSIAN.index("ک")),
    ord("ي"): chr(0xE000 + _PERSIAN.index("ی")),
}


def sort_key(title: str, script: str = "") -> str:
    """A–Z order that ignores case and leading punctuation, in any script; Persian
    letters in their alphabet's order. With `script` (the language's, Language.script),
    titles in that script come first: a Persian index lists Persian entries, then Latin ones."""
    bare = re.sub(r"^[\W_]+", "", title.casefold())
    key = bare.translate(_PERSIAN_KEY)
    if not script:
        return key
    return ("0" if script_of(bare[:1]) == script else "1") + key


def sort_entries(kb: KnowledgeBase) -> None:
    """Category order, then title (by its reading where given), then slug; the tools and
    the glossary A–Z. All in the order of the language the knowledge base is read in."""
    order = {c.id: i for i, c in enumerate(kb.categories)}
    script = kb.script
    kb.articles.sort(key=lambda a: (order[a.category.id], sort_key(a.sort_title, script), a.slug))
    kb.tools = dict(sorted(kb.tools.items(), key=lambda kv: sort_key(kv[1].name, script)))
    kb.glossary.sort(key=lambda g: sort_key(g.term, script))


def initial(title: str) -> str:
    """The letter an A–Z index files `title` under."""
    return (re.sub(r"^[\W_]+", "", title)[:1] or "#").upper()


MIN_RELATED = 3


def resolve_related(kb: KnowledgeBase) -> None:
    """Explicit related articles first, then the closest by category and tags."""
    slugs = kb.by_slug()
    script = kb.script
    for article in kb.articles:
        chosen = [slugs[s] for s in article.related_slugs]
        if len(chosen) < MIN_RELATED:
            tags = set(article.tags)

            def score(other: Article, tags: set = tags, article: Article = article) -> tuple:
                shared = len(tags & set(other.tags))
                same = other.category is article.category
                return (-(shared + 2 * same), sort_key(other.sort_title, script))

            candidates = [a for a in kb.articles if a is not article and a not in chosen]
            chosen += sorted(candidates, key=score)[: MIN_RELATED - len(chosen)]
        article.related = tuple(chosen)
