"""Python-Markdown extension: glossary links and external-link marking.

Runs on the element tree after inline parsing, so it never touches code,
existing links or raw HTML, which a text substitution on Markdown could.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

from ..content.model import GlossaryTerm, unencrypted

SKIP_TAGS = {"a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "script", "style", "abbr"}
EXTERNAL_RE = re.compile(r"^https?://", re.I)
EXTERNAL_REL = "noopener noreferrer"


def mark_external(a: etree.Element) -> None:
    """Give an outbound link its rel and a visible text marker."""
    a.set("rel", EXTERNAL_REL)
    a.set("class", (a.get("class", "") + " kb-external").strip())
    note = etree.SubElement(a, "span")
    note.set("class", "kb-external__note")
    note.text = " (external site, unencrypted)" if unencrypted(a.get("href", "")) else " (external site)"


class KbTreeprocessor(Treeprocessor):
    def __init__(self, md: Markdown, ext: KbExtension):
        super().__init__(md)
        self.ext = ext

    def run(self, root: etree.Element) -> None:
        for a in root.iter("a"):
            if EXTERNAL_RE.match(a.get("href", "")):
                mark_external(a)
        if self.ext.pattern is not None and self.ext.glossary_url is not None:
            self.linked: set[str] = set()
            self._link_terms(root)

    def _link_terms(self, parent: etree.Element) -> None:
        if parent.tag in SKIP_TAGS:
            return
        parent.text = self._split(parent, parent.text, 0)
        for child in list(parent):
            self._link_terms(child)
            child.tail = self._split(parent, child.tail, list(parent).index(child) + 1)

    def _split(self, parent: etree.Element, text: str | None, index: int) -> str | None:
        """Turn the first use of each term in `text` into a link inserted at `index`."""
        if not text or self.ext.pattern is None:
            return text
        pieces: list[tuple[str, str, str]] = []  # (text before, word, anchor)
        pos = 0
        for match in self.ext.pattern.finditer(text):
            term = self.ext.terms[match.group(0).lower()]
            if term.anchor in self.linked:
                continue
            self.linked.add(term.anchor)
            pieces.append((text[pos : match.start()], match.group(0), term.anchor))
            pos = match.end()
        if not pieces:
            return text
        rest = text[pos:]
        head = pieces[0][0]
        for n, (_, word, anchor) in enumerate(pieces):
            a = etree.Element("a", {"href": f"{self.ext.glossary_url}#{anchor}", "class": "kb-term"})
            a.text = word
            a.tail = pieces[n + 1][0] if n + 1 < len(pieces) else rest
            parent.insert(index + n, a)
        return head


class KbExtension(Extension):
    """Configured once per build; `glossary_url` is set before each page renders.

    `final_urls`: run after MkDocs' link rewriting (its "relpath" treeprocessor, 0),
    so `glossary_url` must be the output URL. MkDocs then neither resolves nor
    checks each of the many term links (6% of a build); the glossary page renders
    its anchors from the same model, so they exist. Without it (the handbook), run
    before other link processors, with a link to the glossary's Markdown source.
    """

    def __init__(self, glossary: list[GlossaryTerm], final_urls: bool = False):
        super().__init__()
        self.priority = -10 if final_urls else 15  # inline parsing is 20
        self.terms = {w.lower(): g for g in glossary for w in (g.term, *g.aliases)}
        words = sorted(self.terms, key=len, reverse=True)  # longest first: "Tor Browser" before "Tor"
        self.pattern = re.compile(r"\b" + _trie(words) + r"\b", re.I) if words else None
        self.glossary_url: str | None = None

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Markdown's API)
        # After inline parsing, so links and code exist as elements.
        md.treeprocessors.register(KbTreeprocessor(md, self), "kbsite", self.priority)


def _trie(words: list[str]) -> str:
    """One regex for many words, branching per character: Python's `re` tries
    a flat alternation word by word at every position, which was 7% of a build."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        group = "(?:" + "|".join(alts) + ")"
        if "" in node:
            return group + "?"  # greedy: the longer term wins, as before ("Tor Browser" over "Tor")
        return alts[0] if len(alts) == 1 else group

    return build(root)
