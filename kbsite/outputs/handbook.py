"""The printed handbook: one HTML book from the model, laid out by WeasyPrint.

Articles are rendered from their Markdown with a fresh Markdown instance set up
like the site's, tables and tool cards from the model through the same Renderer
and templates; links are then pointed at places inside the book, so the print
CSS can say "see p. N" (the page from kbsite.outputs.pagenumbers, in `data-page`) and
print external URLs in text.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
import markdown
from markdown import Markdown
from markupsafe import Markup
from mkdocs.exceptions import PluginError

from ..content.errors import ContentError
from ..content.model import Article, KnowledgeBase, slugify
from ..site import i18n
from ..site.markdown_ext import EXTERNAL_RE, KbExtension
from ..site.pages import GLOSSARY, TOOLS
from ..site.render import Renderer
from ..site.subjects import Subject, subjects
from .bookparts import PartStore
from .names import size_mb
from .pagenumbers import PARALLEL_MIN_ARTICLES, PARTS_MIN_ARTICLES, Numberer
from .signing import printed_fingerprint

FONTS = ("DejaVu Serif", "DejaVu Sans", "DejaVu Sans Mono")  # Debian fonts-dejavu-core/-extra
# Page references in a sheet of the subject index: about four pages, a process of 100 MB more.
INDEX_SHEET_REFS = 3000


@dataclass(frozen=True)
class Handbook:
    """The built PDF and what the site says about it."""

    path: str  # inside site/, e.g. downloads/anonymity-sense-handbook.pdf
    pdf: bytes
    pages: int
    refused: tuple[ContentError, ...] = ()  # images the book could not print
    reused: bool = False  # taken from the cache (kbsite.outputs.handbook_cache), not laid out
    stale: bool = False  # made from an earlier version of the content (the preview's last good one)
    numbers: dict[str, int] = field(default_factory=dict, compare=False)  # id -> page, when in parts

    @property
    def size_mb(self) -> str:
        return size_mb(len(self.pdf))


def handbook_path(site_name: str, lang: str = "") -> str:
    """`downloads/<site>-handbook.pdf`, `downloads/<site>-<lang>-handbook.pdf` in a translation."""
    return f"downloads/{slugify(site_name) or 'knowledge-base'}{'-' + lang if lang else ''}-handbook.pdf"


def anchor(src_uri: str, fragment: str, articles: dict[str, Article]) -> str | None:
    """The id inside the book for a site page (and fragment), or None if not printed.

    Prefixes keep ids apart: `art-` articles, `sec-<slug>--` their headings,
    `chap-` chapters, `tool-` the tool index, `term-` the glossary.
    """
    if src_uri in articles:
        slug = articles[src_uri].slug
        return f"sec-{slug}--{fragment}" if fragment else f"art-{slug}"
    if src_uri == GLOSSARY:
        return f"term-{fragment}" if fragment else "glossary"
    if src_uri == TOOLS:
        return "tools"
    if src_uri.startswith("tools/") and src_uri.endswith(".md"):
        return f"tool-{src_uri[6:-3]}"
    if src_uri.endswith("/index.md") and src_uri.count("/") == 1:
        return f"chap-{src_uri.split('/')[0]}"
    if src_uri in ("index.md", "a-z.md"):
        return "contents"
    return None


class LinkTreeprocessor(markdown.treeprocessors.Treeprocessor):
    """Point every link and id of one article at places inside the book."""

    def __init__(self, md: Markdown, book: HandbookRenderer):
        super().__init__(md)
        self.book = book
        self.article: Article | None = None

    def run(self, root: etree.Element) -> None:
        article = self.article
        assert article is not None
        here = posixpath.dirname(article.src_uri)
        for el in root.iter():
            if el.get("id"):
                el.set("id", f"sec-{article.slug}--{el.get('id')}")
            src = el.get("src") if el.tag == "img" else None
            if src is None or src.startswith("data:"):
                continue
            path = posixpath.normpath(posixpath.join(here, unquote(urlsplit(src).path)))
            if urlsplit(src).scheme or src.startswith("/") or path.startswith("../"):
                self.book.refuse(article, src, "it is not a file inside content/")
                del el.attrib["src"]  # never fetched
            elif not (self.book.content / path).is_file():
                self.book.refuse(article, src, "there is no such file in content/")
                del el.attrib["src"]
            else:
                el.set("src", path)  # the book's base is content/, the article's folder is below it
        for parent in list(root.iter()):
            for n, a in enumerate(list(parent)):
                if a.tag == "a":
                    self._link(parent, n, a, article)

    def _link(self, parent: etree.Element, index: int, a: etree.Element, article: Article) -> None:
        href = a.get("href", "")
        if EXTERNAL_RE.match(href) or href.startswith("mailto:"):
            return
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            return
        path = unquote(parts.path)
        if path.endswith(".html"):
            path = path[:-5] + ".md"
        target = (
            posixpath.normpath(posixpath.join(posixpath.dirname(article.src_uri), path))
            if path
            else article.src_uri
        )
        found = anchor(target, parts.fragment, self.book.articles)
        if found is None:
            _unwrap(parent, index, a)  # a page the book does not print: keep the words
            return
        a.set("href", f"#{found}")
        if "kb-term" not in a.get("class", ""):
            a.set("class", (a.get("class", "") + " kb-xref").strip())
            a.set("data-page", "")  # filled by kbsite.outputs.pagenumbers


def _unwrap(parent: etree.Element, index: int, a: etree.Element) -> None:
    span = etree.Element("span")
    span.text, span.tail = a.text, a.tail
    span.extend(list(a))
    parent.remove(a)
    parent.insert(index, span)


class LinkExtension(markdown.Extension):
    def __init__(self, book: HandbookRenderer):
        super().__init__()
        self.book = book
        self.processor: LinkTreeprocessor | None = None

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Markdown's API)
        # After toc (5) has given headings their ids, and after kbsite's glossary links (15).
        self.processor = LinkTreeprocessor(md, self.book)
        md.treeprocessors.register(self.processor, "kbsite-handbook-links", 2)


class HandbookRenderer(Renderer):
    """The site's Renderer, with links that point inside the book."""

    def __init__(
        self,
        kb: KnowledgeBase,
        loader: jinja2.BaseLoader,
        glossary_links: bool = True,
        content: Path = Path("content"),
    ):
        super().__init__(kb, jinja2.Environment(loader=loader))
        self.articles = kb.by_src_uri()
        self.glossary_links = glossary_links
        self.content = content
        self.refused: list[ContentError] = []

    def refuse(self, article: Article, src: str, why: str) -> None:
        """An image the book cannot print: `kbsite pdf` and the build stop on it."""
        lines = article.body.splitlines()
        n = next((n for n, line in enumerate(lines) if src in line), None)
        self.refused.append(
            ContentError(
                article.src_uri,
                f"image {src!r} cannot go into the handbook: {why}",
                "download it into content/ (beside the article) and refer to it relatively",
                article.body_line + n if n is not None else None,
            )
        )

    def _linker(self, from_src_uri: str):
        def url(target: Any, fragment: str = "") -> str:
            src = target if isinstance(target, str) else target.src_uri
            found = anchor(src, fragment, self.articles)
            return f"#{found}" if found else ""

        return url

    def markdown(self, extensions: list, configs: dict) -> Markdown:
        """A fresh Markdown set up like the site's, plus glossary and in-book links."""
        site_exts = [e for e in extensions if not isinstance(e, (KbExtension, LinkExtension))]
        self.kb_ext = KbExtension(self.kb.glossary if self.glossary_links else [])
        self.link_ext = LinkExtension(self)
        return Markdown(extensions=[*site_exts, self.kb_ext, self.link_ext], extension_configs=configs)

    def article_html(self, md: Markdown, article: Article) -> Markup:
        md.reset()
        # The same relative glossary URL as the site, so one link rule resolves it.
        depth = article.src_uri.count("/")
        self.kb_ext.glossary_url = "../" * depth + GLOSSARY
        assert self.link_ext.processor is not None
        self.link_ext.processor.article = article
        body = md.convert(self.place_markers(article, article.body))
        return Markup(self.article(article, body, template="handbook/article.html"))

    def articles_html(self, extensions: list, configs: dict) -> dict[str, Markup]:
        """Every article as the books print it, by slug (the handbook's and the EPUB's)."""
        md = self.markdown(extensions, configs)
        html = {}
        for a in self.kb.articles:
            try:
                html[a.slug] = self.article_html(md, a)
            except jinja2.TemplateError:
                raise  # the template's own file and line say more (template_error)
            except Exception as exc:  # a Markdown extension's error: say which article, stop the build
                raise PluginError(f"Error rendering '{a.src_uri}' for the handbook and EPUB: {exc}") from exc
        return html


def edition(kb: KnowledgeBase) -> dt.datetime | None:
    """SOURCE_DATE_EPOCH when set, else the newest `updated` date (midnight UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    newest = kb.edition_date()
    return dt.datetime(newest.year, newest.month, newest.day, tzinfo=dt.UTC) if newest else None


def book_html(
    kb: KnowledgeBase,
    loader: jinja2.BaseLoader,
    *,
    description: str = "",
    language: str = "en",
    extensions: list | None = None,
    configs: dict | None = None,
    glossary_links: bool = True,
    fingerprint: str = "",
    articles: dict[str, Markup] | None = None,
    content: Path = Path("content"),
    refused: list[ContentError] | None = None,
) -> str:
    """The whole handbook as one HTML document (print CSS inlined).

    `articles` are the articles already rendered (config_articles), else rendered here.
    Images that cannot be printed (from other sites, outside `content`, missing) are
    left out and added to `refused`."""
    book = HandbookRenderer(kb, loader, glossary_links, content)
    html = articles or book.articles_html(extensions or [], configs or {})
    chapters = [(c, [(a, html[a.slug]) for a in kb.in_category(c)]) for c in kb.categories]
    chapters = [(c, arts) for c, arts in chapters if arts]
    tools = [(t, kb.citing(t)) for t in sorted(kb.tools.values(), key=lambda t: t.name.lower())]
    when = edition(kb)
    if refused is not None:
        refused += book.refused
    return book._render(
        "handbook/book.html",
        "index.md",
        title=i18n.translate(language, "%(site)s — Handbook") % {"site": kb.site_name}
        if kb.site_name
        else i18n.translate(language, "Handbook"),
        description=description,
        language=language,
        direction=kb.language.direction if kb.language else "ltr",
        chapters=chapters,
        tools=[(t, arts) for t, arts in tools if arts],
        subjects=index_sheets(subjects(kb)),
        terms=kb.glossary,
        edition=when.date().isoformat() if when else "",
        created=when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else "",
        fonts=FONTS,
        fingerprint=fingerprint,
    )


def index_sheets(
    letters: list[tuple[str, list[Subject]]], limit: int | None = None
) -> list[list[tuple[str, list[Subject]]]]:
    """The subject index cut between entries into sheets (each from a new page) of at most
    INDEX_SHEET_REFS page references, so that parts can hold it a few pages at a time: as one
    sheet, the index of 1,000 articles (63,000 references, 70 pages) took one process 1.25 GB.
    A letter cut in two is headed again on the next sheet, as printed indexes do."""
    limit = limit or INDEX_SHEET_REFS
    sheets: list[list[tuple[str, list[Subject]]]] = [[]]
    held = 0
    for letter, entries in letters:
        for entry in entries:
            if not entry.articles:
                continue
            if held and held + len(entry.articles) > limit:
                sheets.append([])
                held = 0
            if not sheets[-1] or sheets[-1][-1][0] != letter:
                sheets[-1].append((letter, []))
            sheets[-1][-1][1].append(entry)
            held += len(entry.articles)
    return [sheet for sheet in sheets if sheet]


def render_pdf(html: str, base: Path, numberer: Numberer | None = None) -> tuple[bytes, int]:
    """PDF bytes and page count, with every page number kbsite prints checked."""
    return (numberer or Numberer(workers=1)).write(html, base)


def config_html(
    kb: KnowledgeBase,
    config,
    loader: jinja2.BaseLoader,
    glossary_links: bool = True,
    articles: dict[str, Markup] | None = None,
    refused: list[ContentError] | None = None,
) -> str:
    """The book's HTML for an MkDocs config that the kbsite plugin has set up."""
    plugin = config.plugins.get("kbsite")
    return book_html(
        kb,
        loader,
        description=config.site_description or "",
        language=config.theme.get("language") or "en",
        extensions=list(config.markdown_extensions),
        configs=dict(config.mdx_configs),
        glossary_links=glossary_links,
        fingerprint=printed_fingerprint(plugin.config.signing_key) if plugin else "",
        articles=articles,
        content=Path(config.docs_dir),
        refused=refused,
    )


def config_articles(
    kb: KnowledgeBase,
    config,
    loader: jinja2.BaseLoader,
    glossary_links: bool = True,
    refused: list[ContentError] | None = None,
) -> dict[str, Markup]:
    """The articles as the books print them, rendered once for both the handbook and the EPUB;
    images that cannot be printed are added to `refused`."""
    book = HandbookRenderer(kb, loader, glossary_links, Path(config.docs_dir))
    html = book.articles_html(list(config.markdown_extensions), dict(config.mdx_configs))
    if refused is not None:
        refused += book.refused
    return html


def build(
    kb: KnowledgeBase,
    config,
    loader: jinja2.BaseLoader,
    glossary_links: bool = True,
    articles: dict[str, Markup] | None = None,
    guess: dict[str, int] | None = None,
    store: PartStore | None = None,
) -> Handbook:
    """The handbook for an MkDocs config that the kbsite plugin has set up.

    `articles` are already rendered (config_articles); `guess` (the last build's page
    numbers) and `store` (its parts) spare work in parts.
    """
    refused: list[ContentError] = []
    # A worker process for large books, started now to be ready once the book is written.
    # Parts depend on the content only (the same bytes on one core or two); the worker speeds them up.
    large = len(kb.articles) >= PARALLEL_MIN_ARTICLES
    parts = len(kb.articles) >= PARTS_MIN_ARTICLES
    numberer = Numberer(workers=None if large else 1, parts=parts, guess=guess, store=store)
    try:
        html = config_html(kb, config, loader, glossary_links, articles, refused)
        pdf, pages = render_pdf(html, Path(config.docs_dir), numberer)
    finally:
        numberer.close()
    return Handbook(
        handbook_path(kb.site_name, kb.lang), pdf, pages, tuple(refused), numbers=numberer.numbers
    )


def template_error(exc: jinja2.TemplateError, project: Path) -> str:
    """A handbook template's error, with its file and line (an override's, usually)."""
    filename = getattr(exc, "filename", None) or getattr(exc, "name", None) or "handbook/book.html"
    path = Path(filename)
    shown = (
        path.relative_to(project).as_posix()
        if path.is_absolute() and path.is_relative_to(project)
        else filename
    )
    return ContentError(
        shown,
        f"the handbook's template failed: {exc.message or type(exc).__name__}",
        hint="fix the template (compare it with kbsite/templates/handbook/), or remove the override",
        line=getattr(exc, "lineno", None),
    ).format()
