"""HTML for articles and generated pages, through overridable Jinja templates."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import jinja2
from markupsafe import Markup, escape
from mkdocs.structure.toc import AnchorLink
from mkdocs.utils import get_relative_url

from ..content.load import MARKER_RE
from ..content.model import Article, KnowledgeBase
from . import i18n
from .pages import GLOSSARY, GeneratedPage

URL_TEXT = re.compile(r"\b(?:https?|ftp)://[^\s<>\"]+|\bwww\.[^\s<>\"]+", re.I)


def mark_urls(text: str) -> Markup:
    """Plain text, escaped, with each address in a span: the CSS breaks it anywhere
    rather than widen a table, and never hyphenates it (a hyphen would change it)."""
    out, pos = [], 0
    for m in URL_TEXT.finditer(text):
        out += [escape(text[pos : m.start()]), Markup('<span class="kb-url">%s</span>') % m.group(0)]
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def page_url(src_uri: str) -> str:
    """Output URL of a source path (kbsite requires use_directory_urls: false)."""
    return src_uri[:-3] + ".html" if src_uri.endswith(".md") else src_uri


class Renderer:
    def __init__(
        self, kb: KnowledgeBase, theme_env: jinja2.Environment, compiled: jinja2.BytecodeCache | None = None
    ):
        # The theme's loader (so the site's overrides win) but with autoescaping:
        # MkDocs turns it off, and content text must never become markup.
        self.kb = kb
        self.env = jinja2.Environment(
            loader=theme_env.loader,
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
            bytecode_cache=compiled,
        )
        self.env.filters["urls"] = mark_urls
        # A word Markdown keeps as a plain paragraph; swapped for the table after,
        # so table HTML never goes through Markdown (cells stay plain text).
        self.token = "KBSITETABLEMARKER"
        i18n.install(self.env, i18n.code(kb))

    def _linker(self, from_src_uri: str):
        here = page_url(from_src_uri)

        def url(target: Any, anchor: str = "") -> str:
            src = target if isinstance(target, str) else target.src_uri
            rel = get_relative_url(page_url(src), here)
            return f"{rel}#{anchor}" if anchor else rel

        return url

    def _render(self, template: str, src_uri: str, **context: Any) -> str:
        return self.env.get_template(template).render(
            kb=self.kb, url=self._linker(src_uri), glossary=GLOSSARY, **context
        )

    def place_markers(self, article: Article, markdown: str) -> str:
        """Replace each table marker line with a token paragraph."""
        lines = markdown.splitlines()
        for n, line in enumerate(lines):
            match = MARKER_RE.match(line)
            if match:
                lines[n] = f"\n{self.token}{list(article.tables).index(match.group(1))}X\n"
        return "\n".join(lines)

    def article(self, article: Article, body_html: str, template: str = "kb/article.html") -> str:
        for i, table in enumerate(article.tables.values()):
            marker = f"<p>{self.token}{i}X</p>"
            html = self._render(
                "kb/table.html",
                article.src_uri,
                table=table,
                caption_repeats=_heads(body_html, marker, table),
            )
            body_html = body_html.replace(marker, html)
        if self.token in body_html:
            raise ValueError(
                f"{article.src_uri}: a table marker was not replaced (is it inside a list or quote?)"
            )
        links = i18n.language_links(self.kb, page_url(article.src_uri))
        original_url = links[0][1] if links else ""
        original_name = i18n.language_name(links[0][0].code, i18n.code(self.kb)) if links else ""
        return self._render(
            template,
            article.src_uri,
            article=article,
            body=Markup(body_html),
            original_url=original_url,
            original_name=original_name,
        )

    def generated(self, page: GeneratedPage) -> str:
        return self._render(page.template, page.src_uri, page_info=page, **page.context)


_HEADING = re.compile(r"<h([2-6])\b[^>]*>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _heads(body_html: str, marker: str, table) -> bool:
    """Whether the heading of the table's section already says its caption: the caption
    is then kept for screen readers (and the handbook) but not shown twice."""
    headings = _HEADING.findall(body_html, 0, max(body_html.find(marker), 0))
    if not headings:
        return False
    heading = " ".join(unescape(_TAG.sub("", headings[-1][1])).split())
    return heading.casefold() == " ".join(table.caption.split()).casefold()


_H2 = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>', re.S)


def toc_with_template_sections(toc, html: str) -> None:
    """Add to a page's table of contents the H2 sections its template wrote after the
    Markdown (Related tools, Related articles), so the contents reach the page's end."""
    known = set()
    stack = list(toc.items)
    while stack:
        item = stack.pop()
        known.add(item.id)
        stack.extend(item.children)
    for anchor, title in _H2.findall(html):
        if anchor not in known:
            toc.items.append(AnchorLink(title.strip(), anchor, 2))
