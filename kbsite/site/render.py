"""HTML for articles and generated pages, through overridable Jinja templates."""

from __future__ import annotations

import re
from typing import Any

import jinja2
from markupsafe import Markup, escape
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
    def __init__(self, kb: KnowledgeBase, theme_env: jinja2.Environment):
        # The theme's loader (so the site's overrides win) but with autoescaping:
        # MkDocs turns it off, and content text must never become markup.
        self.kb = kb
        self.env = jinja2.Environment(
            loader=theme_env.loader, autoescape=True, trim_blocks=True, lstrip_blocks=True, auto_reload=False
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
            html = self._render("kb/table.html", article.src_uri, table=table)
            body_html = body_html.replace(f"<p>{self.token}{i}X</p>", html)
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
