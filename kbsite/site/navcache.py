"""Navigation rendered once per category instead of once per page.

Material renders the whole navigation tree for every page through a recursive
macro; at 1,000 articles that was half of the build. All articles of one
category sit in the same folder and share the same navigation except for the
entry of the page itself. So the tree is rendered once per category with no
page marked current, cached, and each page swaps its own entry for the
"current page" entry Material renders for it. The HTML is the same as
Material's (tests compare both).
"""

from __future__ import annotations

import posixpath

from markupsafe import Markup
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils import normalize_url

from .htmlsize import squeeze


class _Standin:
    """Stands in for the page while the shared tree renders: same folder, so
    the same relative links, but equal to no navigation entry."""

    def __init__(self, page: Page):
        self.url, self.title = page.url, page.title
        self.toc: list = []
        self.meta: dict = {}


class Slot:
    """What nav.html needs to render or reuse the tree for one page."""

    def __init__(self, cache: NavCache, key: tuple | None, page: Page, path: str):
        self.cache, self.key, self.page, self.path = cache, key, page, path
        self.standin = _Standin(page)
        self.html = cache.trees.get(key) if key else None
        if key and self.html is None:
            # Render the category open but without a current page.
            section = page.parent
            assert section is not None  # a key is given only to pages in a category
            page.active = False
            section.active = True

    def store(self, html: str) -> str:
        # Squeezed once here, not in every page of the category (kbsite/htmlsize.py).
        assert self.key is not None
        self.cache.trees[self.key] = self.html = squeeze(html)
        self.page.active = True
        return ""

    def fill(self, own_entry: str) -> Markup:
        """The cached tree with this page's plain entry replaced by `own_entry`."""
        html = self.html or ""
        href = f'href="{normalize_url(self.page.url, self.page)}" class="md-nav__link"'
        at = html.find(href)
        start, end = html.rfind("<li", 0, at), html.find("</li>", at)
        if at < 0 or start < 0 or end < 0:
            raise ValueError(f"kbsite: {self.page.file.src_uri} is missing from the cached navigation")
        return Markup(html[:start] + own_entry.strip() + html[end + len("</li>") :])


class NavCache:
    def __init__(self) -> None:
        self.trees: dict[tuple, str] = {}

    def __call__(self, page: Page | None, nav: Navigation) -> Slot | None:
        """A slot for article pages directly inside a top-level section; None
        for the others (home, category and generated pages render as usual)."""
        if page is None or page.is_index or not isinstance(page.parent, Section):
            return None
        section = page.parent
        if section.parent is not None or section not in nav.items:
            return None
        i, j = nav.items.index(section) + 1, section.children.index(page) + 1
        key = (i, posixpath.dirname(page.url))
        return Slot(self, key, page, f"__nav_{i}_{j}")
