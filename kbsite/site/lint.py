"""What `kbsite check` finds beyond the model: the build's findings in each article's HTML.

Each article is rendered as the build renders it (the site's Markdown extensions,
kbsite's article template), without writing anything. The HTML then goes through
the offline audit, as a built page does (outside images and frames, inline styles,
dangerous links), and the links of its Markdown are checked as MkDocs checks them
(pages, files and anchors that exist). Every problem is a ContentError at the
Markdown line it comes from, so `check` and `build` agree.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from markdown import Markdown

from ..content.errors import ContentError
from ..content.model import Article, KnowledgeBase
from ..safety import audit
from .pages import generated_pages
from .render import Renderer, page_url

ID_ATTR = re.compile(r'\sid="([^"]+)"')


class _Links(HTMLParser):
    """The href and src values of a fragment, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name == "href" and tag in ("a", "area") or name == "src" and tag == "img"):
                self.found.append(value)


def lint(
    kb: KnowledgeBase, config, renderer: Renderer, files: list[str], audited: bool = True
) -> list[ContentError]:
    """Problems the build would find in the articles. `files`: every file under content/,
    relative to it; `config`: the MkDocs config the kbsite plugin has set up;
    `audited`: include the audit's findings (else only links and anchors)."""
    md = Markdown(extensions=list(config.markdown_extensions), extension_configs=dict(config.mdx_configs))
    generated = {p.src_uri: p for p in generated_pages(kb)}
    known = {*files, *generated}
    errors: list[ContentError] = []
    bodies: dict[str, str] = {}
    ids: dict[str, set[str]] = {}
    for article in kb.articles:
        md.reset()
        body = md.convert(renderer.place_markers(article, article.body))
        try:
            html = renderer.article(article, body)
        except ValueError as exc:  # a table marker inside a list or quote
            errors.append(
                ContentError(
                    article.src_uri,
                    str(exc).split(": ", 1)[-1],
                    "put the `{{ table: NAME }}` line on its own, outside lists and quotes",
                    article.body_line,
                )
            )
            continue
        bodies[article.src_uri], ids[article.src_uri] = body, set(ID_ATTR.findall(html))
        if not audited:
            continue
        source = audit.Source(article.src_uri, "\n" * (article.body_line - 1) + article.body)
        findings = audit.locate(
            audit.audit_text(page_url(article.src_uri), html), {page_url(article.src_uri): source}
        )
        errors += [
            ContentError(article.src_uri, f"{f.what} {f.url!r} {f.problem}", f.fix, f.line) for f in findings
        ]

    def anchors(src_uri: str) -> set[str] | None:
        if src_uri not in ids and src_uri in generated:
            ids[src_uri] = set(ID_ATTR.findall(renderer.generated(generated[src_uri])))
        return ids.get(src_uri)

    for article in kb.articles:
        if article.src_uri in bodies:
            errors += _links(article, bodies[article.src_uri], known, anchors)
    return errors


def _links(
    article: Article, body: str, known: set[str], anchors: Callable[[str], set[str] | None]
) -> list[ContentError]:
    parser = _Links()
    parser.feed(body)
    text = article.body.splitlines()
    seen: dict[str, int] = {}
    errors = []
    for value in parser.found:
        nth = seen[value] = seen.get(value, -1) + 1
        parts = urlsplit(value)
        if parts.scheme or parts.netloc or value.endswith("/"):
            continue  # other sites (the audit checks schemes) and folder links MkDocs leaves alone
        path = unquote(parts.path)
        here = article.src_uri
        target = posixpath.normpath(posixpath.join(posixpath.dirname(here), path)) if path else here
        problem = fix = ""
        if target not in known:
            problem = "is not a page or file of the site"
            fix = "link to an article's .md file relative to this one, e.g. `../network/tor-vs-vpn.md`"
            if not path.endswith(".md"):
                fix = "put the file into content/ and link to it relative to this article"
        elif parts.fragment and (present := anchors(target)) is not None and parts.fragment not in present:
            problem = f"points to an anchor that {'this page' if target == here else target} does not have"
            fix = "use the id of a heading there (e.g. `#what-it-protects`), or leave out the `#...`"
        if problem:
            lines = [n for n, line in enumerate(text) if value in line]
            line = article.body_line + lines[min(nth, len(lines) - 1)] if lines else None
            errors.append(ContentError(article.src_uri, f"link {value!r} {problem}", fix, line))
    return errors
