"""One language's view of the knowledge base: what its pages, handbook and search read.

Every output is made per language from a view, so the site, the handbook and the
search index need no knowledge of languages: a view is a KnowledgeBase like the
original, with each article replaced by its translation where one exists (else
the original, which the pages mark as not translated yet) and every category,
tool, glossary term and table kind carrying its translated words.
"""

from __future__ import annotations

import dataclasses

from .model import (
    Article,
    Category,
    GlossaryTerm,
    KnowledgeBase,
    Table,
    TableKind,
    Tool,
    ToolCitation,
    resolve_related,
    sort_entries,
)


def view(kb: KnowledgeBase, lang: str) -> KnowledgeBase:
    """`kb` as read in `lang` (the original language, or one of the translations)."""
    if not kb.languages or lang == kb.languages[0].code:
        return kb
    data = kb.data_translations.get(lang, {})

    def words(file: str, ident: str) -> dict:
        return data.get(file, {}).get(ident, {})

    categories = {c.id: dataclasses.replace(c, **words("categories", c.id)) for c in kb.categories}
    tools = {t.id: dataclasses.replace(t, **words("tools", t.id)) for t in kb.tools.values()}
    kinds = {k.id: _kind(k, words("table_kinds", k.id)) for k in kb.table_kinds.values()}
    translated = kb.translations.get(lang, {})
    articles = [_article(translated.get(a.src_uri, a), categories, tools, kinds) for a in kb.articles]
    out = dataclasses.replace(
        kb,
        categories=[categories[c.id] for c in kb.categories],
        tools=tools,
        glossary=[_term(g, words("glossary", g.term)) for g in kb.glossary],
        table_kinds=kinds,
        articles=articles,
        lang=lang,
    )
    sort_entries(out)  # by the translated titles and names
    resolve_related(out)
    return out


def _kind(kind: TableKind, words: dict) -> TableKind:
    labels = {c["key"]: c["label"] for c in words.get("columns", [])}
    columns = tuple(dataclasses.replace(c, label=labels.get(c.key, c.label)) for c in kind.columns)
    return dataclasses.replace(kind, caption=words.get("caption", kind.caption), columns=columns)


def _term(term: GlossaryTerm, words: dict) -> GlossaryTerm:
    # The anchor stays the original term's, so a link to an entry works in every language.
    return GlossaryTerm(
        words.get("translation", term.term),
        words.get("definition", term.definition),
        tuple(words.get("aliases", term.aliases)),
        key=term.key or term.term,
    )


def _article(
    article: Article, categories: dict[str, Category], tools: dict[str, Tool], kinds: dict[str, TableKind]
) -> Article:
    tables = {
        name: Table(
            t.name,
            kinds[t.kind.id],
            t.caption if t.caption != t.kind.caption else kinds[t.kind.id].caption,
            t.rows,
        )
        for name, t in article.tables.items()
    }
    return dataclasses.replace(
        article,
        category=categories[article.category.id],
        tools=tuple(ToolCitation(tools[c.tool.id], c.why) for c in article.tools),
        tables=tables,
        related=(),
    )
