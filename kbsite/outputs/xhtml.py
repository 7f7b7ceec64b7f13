"""HTML fragments (Markdown's and the templates' output) as well-formed XHTML for the EPUB.

HTML allows what XML does not (void elements left open, named entities, bare attributes);
re-serialising through the standard library's parser fixes all three without a dependency.
Links to other sites get their address printed after them, as the handbook prints it.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Attributes the EPUB does not use (print-only hints) or that EPUB readers reject.
DROPPED = {"data-page", "download", "target"}


def is_external(href: str) -> bool:
    return href.startswith(("http://", "https://"))


class _Writer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[tuple[str, str]] = []  # (tag, external href to print after it)
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=tag in VOID)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        text = "".join(
            f' {name}="{escape(value if value is not None else name)}"'
            for name, value in attrs
            if name not in DROPPED
        )
        ident = dict(attrs).get("id")
        if ident:
            self.ids.append(ident)
        self.out.append(f"<{tag}{text}{' /' if closed else ''}>")
        if not closed:
            href = (dict(attrs).get("href") or "") if tag == "a" else ""
            self.open.append((tag, href if is_external(href) else ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not any(t == tag for t, _ in self.open):
            return  # a stray end tag: HTML ignores it, so does the book
        while self.open:
            name, href = self.open.pop()
            self.out.append(f"</{name}>")
            if name == "a" and href and href not in self._text_of_last_link():
                self.out.append(f' <span class="url">({escape(href)})</span>')
            if name == tag:
                break

    def _text_of_last_link(self) -> str:
        start = max(i for i, part in enumerate(self.out) if part.startswith("<a "))
        return "".join(p for p in self.out[start:] if not p.startswith("<"))

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))

    def close(self) -> None:
        super().close()
        while self.open:
            self.out.append(f"</{self.open.pop()[0]}>")


def to_xhtml(html: str) -> tuple[str, list[str]]:
    """The fragment as XHTML, and the ids it defines (in order)."""
    writer = _Writer()
    writer.feed(html)
    writer.close()
    return "".join(writer.out), writer.ids
