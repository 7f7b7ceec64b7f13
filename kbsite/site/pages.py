"""The pages kbsite generates from the model: what exists and what each shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from ..content.model import KnowledgeBase, initial, sort_key
from . import i18n

HOME, AZ, GLOSSARY, MISUNDERSTANDINGS, CHECKLISTS, TOOLS = (
    "index.md",
    "a-z.md",
    "glossary.md",
    "misunderstandings.md",
    "checklists.md",
    "tools/index.md",
)


@dataclass
class GeneratedPage:
    src_uri: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    in_nav: bool = True


def generated_pages(kb: KnowledgeBase) -> list[GeneratedPage]:
    _ = i18n.translations(i18n.code(kb)).gettext  # page titles in the reader's language
    counts = {c.id: len(kb.in_category(c)) for c in kb.categories}
    pages = [
        GeneratedPage(
            HOME,
            kb.site_name or _("Home"),
            "kb/home.html",
            {"counts": counts, "recent": kb.recently_updated()},
        ),
    ]
    for c in kb.categories:
        pages.append(
            GeneratedPage(
                c.src_uri,
                category_title(c, _),
                "kb/category.html",
                {"category": c, "articles": kb.in_category(c)},
            )
        )
    by_letter = groupby(
        sorted(kb.articles, key=lambda a: sort_key(a.sort_title)), key=lambda a: initial(a.sort_title)
    )
    pages += [
        GeneratedPage(
            AZ,
            _("A–Z index"),
            "kb/a-z.html",
            {"letters": [(letter, list(group)) for letter, group in by_letter]},
        ),
        GeneratedPage(
            TOOLS, _("Tools"), "kb/tools.html", {"tools": [(t, kb.citing(t)) for t in kb.tools.values()]}
        ),
        GeneratedPage(GLOSSARY, _("Glossary"), "kb/glossary.html", {"terms": kb.glossary}),
        GeneratedPage(
            MISUNDERSTANDINGS,
            _("Common misunderstandings"),
            "kb/misunderstandings.html",
            {"groups": _rows_by_article(kb, "misunderstandings")},
        ),
        GeneratedPage(
            CHECKLISTS, _("Checklists"), "kb/checklists.html", {"groups": _rows_by_article(kb, "checks")}
        ),
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
            )
        )
    return pages


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
    ]
    return items + sorted(extra_pages)
