"""The pages kbsite generates from the model: what exists and what each shows."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from ..content.model import KnowledgeBase, initial, sort_key
from . import i18n
from .subjects import SUBJECTS, subjects

HOME, AZ, GLOSSARY, MISUNDERSTANDINGS, CHECKLISTS, TOOLS, DOWNLOADS, VERIFY = (
    "index.md",
    "a-z.md",
    "glossary.md",
    "misunderstandings.md",
    "checklists.md",
    "tools/index.md",
    "downloads.md",
    "verify.md",
)


@dataclass
class GeneratedPage:
    src_uri: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    in_nav: bool = True
    description: str = ""  # the page's <meta name="description">; empty: the site's
    nav_parent: str | None = None  # for pages outside the navigation: the entry marked current
    wide: bool = False  # no table-of-contents column (Material's `hide: [toc]`)

    def front_matter(self) -> str:
        """The Markdown MkDocs reads for this page: only metadata, the body comes from kbsite."""
        lines = [f"title: {self.title!r}"]
        if self.description:
            lines.append(f"description: {json.dumps(self.description, ensure_ascii=False)}")
        if self.wide:
            lines.append("hide: [toc]")
        return "---\n" + "\n".join(lines) + "\n---\n"


def generated_pages(kb: KnowledgeBase, publisher: dict[str, str] | None = None) -> list[GeneratedPage]:
    """Every generated page; `publisher` gives the fingerprint, keys and language they print."""
    publisher = publisher or {}
    _ = i18n.translations(i18n.code(kb)).gettext  # page titles in the reader's language
    counts = {c.id: len(kb.in_category(c)) for c in kb.categories}
    pages = [
        GeneratedPage(
            HOME,
            kb.site_name or _("Home"),
            "kb/home.html",
            {
                "counts": counts,
                "recent": kb.recently_updated(),
                # Where a first-time reader starts: the first category's articles.
                "start": kb.in_category(kb.categories[0])[:4] if kb.categories else [],
            },
            wide=True,
        ),
    ]
    for c in kb.categories:
        pages.append(
            GeneratedPage(
                c.src_uri,
                category_title(c, _),
                "kb/category.html",
                {"category": c, "articles": kb.in_category(c)},
                description=c.description,
            )
        )
    script = kb.script
    by_letter = groupby(
        sorted(kb.articles, key=lambda a: sort_key(a.sort_title, script)), key=lambda a: initial(a.sort_title)
    )
    pages += [
        GeneratedPage(
            AZ,
            _("A–Z index"),
            "kb/a-z.html",
            {"letters": [(letter, list(group)) for letter, group in by_letter]},
        ),
        GeneratedPage(
            SUBJECTS,
            _("Subject index"),
            "kb/subjects.html",
            {"letters": subjects(kb)},
            in_nav=False,
            nav_parent=AZ,
        ),
        GeneratedPage(
            TOOLS, _("Tools"), "kb/tools.html", {"tools": [(t, kb.citing(t)) for t in kb.tools.values()]}
        ),
        GeneratedPage(
            GLOSSARY,
            _("Glossary"),
            "kb/glossary.html",
            {
                "terms": kb.glossary,
                "aliases": {t.anchor: distinct_aliases(t.term, t.aliases) for t in kb.glossary},
            },
        ),
        GeneratedPage(
            MISUNDERSTANDINGS,
            _("Common misunderstandings"),
            "kb/misunderstandings.html",
            {"groups": _rows_by_article(kb, "misunderstandings")},
        ),
        GeneratedPage(
            CHECKLISTS, _("Checklists"), "kb/checklists.html", {"groups": _rows_by_article(kb, "checks")}
        ),
        # The downloads page learns the handbook's and EPUB's sizes once they are built.
        GeneratedPage(DOWNLOADS, _("Downloads"), "kb/downloads.html", dict(publisher)),
        GeneratedPage(VERIFY, _("Verify this copy"), "kb/verify.html", dict(publisher)),
    ]
    for tool in kb.tools.values():
        pages.append(
            GeneratedPage(
                tool.src_uri,
                tool.name,
                "kb/tool.html",
                {
                    "tool": tool,
                    "citations": [(a, c.why) for a in kb.citing(tool) for c in a.tools if c.tool is tool],
                },
                in_nav=False,
                description=tool.description,
                nav_parent=TOOLS,
            )
        )
    return pages


def distinct_aliases(term: str, aliases: Sequence[str]) -> list[str]:
    """The aliases worth showing: not another form of the term or of an alias shown before
    ("compartmentalising" beside "compartmentalisation"). Links still use all of them."""
    shown: list[str] = []
    for alias in aliases:
        if not any(_inflection(alias, other) for other in [term, *shown]):
            shown.append(alias)
    return shown


def _inflection(a: str, b: str) -> bool:
    """Same words but for the end of the last one: a shared stem of 4+ letters in that word,
    and endings of at most 6 letters ("model"/"modelling", "VPN"/"VPNs")."""
    a, b = a.casefold(), b.casefold()
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    stem = a[:n]
    last_word = stem.rsplit(" ", 1)[-1]
    if " " in a[n:] or " " in b[n:] or len(last_word) < 4 or not last_word.isalpha():
        return False
    return len(a) - n <= 6 and len(b) - n <= 6


def category_title(category, _: Callable[[str], str] = str) -> str:
    return _("Category: %(title)s") % {"title": category.title}


def _rows_by_article(kb: KnowledgeBase, kind: str) -> list[tuple[Any, list]]:
    """(article, tables of that kind) for every article that has some."""
    return [(a, a.tables_of_kind(kind)) for a in kb.articles if a.tables_of_kind(kind)]


def nav(kb: KnowledgeBase, extra_pages: list[str]) -> list:
    """Categories as sections whose index is the category page; articles inside."""
    _ = i18n.translations(i18n.code(kb)).gettext
    items: list = [{_("Home"): HOME}]
    for c in kb.categories:
        # Titles given here, not read from the pages: a build process may skip reading
        # the pages the other renders (kbsite.site.parallel). The same titles as the pages'.
        items.append(
            {c.title: [{category_title(c, _): c.src_uri}, *({a.title: a.src_uri} for a in kb.in_category(c))]}
        )
    items += [
        {_("A–Z index"): AZ},
        {_("Tools"): TOOLS},
        {_("Glossary"): GLOSSARY},
        {_("Common misunderstandings"): MISUNDERSTANDINGS},
        {_("Checklists"): CHECKLISTS},
        {_("Downloads"): DOWNLOADS},
        {_("Verify this copy"): VERIFY},
    ]
    return items + sorted(extra_pages)
