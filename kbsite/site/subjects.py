"""The subject index: a book's index for readers without JavaScript (and the handbook).

Every tag, glossary term and tool, each with the articles that use it, grouped A–Z
in the language's order (the A–Z page's: model.sort_key and model.initial). A tag,
a term and a tool with one name (after folding case and accents) are one entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from ..content.model import Article, GlossaryTerm, KnowledgeBase, Tool, initial, sort_key
from .markdown_ext import KbExtension
from .tokens import fold, is_cjk

SUBJECTS = "subjects.md"


@dataclass
class Subject:
    name: str
    articles: list[Article] = field(default_factory=list)
    tag: bool = False
    term: GlossaryTerm | None = None
    tool: Tool | None = None

    @property
    def anchor(self) -> str:
        return "s-" + "-".join(f"{ord(c):x}" for c in fold(self.name))[:60]


def _uses(kb: KnowledgeBase) -> dict[str, list[Article]]:
    """Glossary term -> the articles whose text uses it (or an alias): the glossary links'
    own rule (markdown_ext), and a plain substring for CJK, which has no word boundaries."""
    from .search import plain_text

    ext = KbExtension(kb.glossary)
    out: dict[str, list[Article]] = {g.term: [] for g in kb.glossary}
    cjk = [(g, [fold(w) for w in (g.term, *g.aliases)]) for g in kb.glossary if is_cjk(g.term)]
    for a in kb.articles:
        text = " ".join([a.title, a.summary, plain_text(a.body)])
        found = (
            {ext.terms[m.group(0).lower()].term for m in ext.pattern.finditer(text)} if ext.pattern else set()
        )
        folded = fold(text)
        found |= {g.term for g, forms in cjk if any(f in folded for f in forms)}
        for term in sorted(found):
            out[term].append(a)
    return out


def subjects(kb: KnowledgeBase) -> list[tuple[str, list[Subject]]]:
    """(letter, entries) in the language's A–Z order; each entry's articles in model order."""
    entries: dict[str, Subject] = {}

    def entry(name: str) -> Subject:
        return entries.setdefault(fold(name), Subject(name))

    for a in kb.articles:
        for tag in a.tags:
            s = entry(tag)
            s.tag = True
            s.articles.append(a)
    uses = _uses(kb)
    for g in kb.glossary:
        s = entry(g.term)
        s.term = g
        s.articles += uses[g.term]
    for t in kb.tools.values():
        s = entry(t.name)
        s.tool = t
        s.articles += kb.citing(t)
    order = {id(a): n for n, a in enumerate(kb.articles)}
    for s in entries.values():
        s.articles = sorted({id(a): a for a in s.articles}.values(), key=lambda a: order[id(a)])
    ordered = sorted(entries.values(), key=lambda s: (sort_key(s.name, kb.script), s.name))
    return [(letter, list(group)) for letter, group in groupby(ordered, key=lambda s: initial(s.name))]
