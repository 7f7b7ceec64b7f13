"""The audit's fast tokenizer sends its scanner what HTMLParser would, on real pages."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from synthsite import synth_root  # noqa: F401 (fixture)

from kbsite.safety import audit


class Recorder(HTMLParser):
    """Records the events the audit's scanner reacts to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, tuple(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.events.append(("startend", tag, tuple(attrs)))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):  # other end tags change nothing the audit reads
            self.events.append(("end", tag))

    def handle_data(self, data):
        if self.cdata_elem is None:
            return  # text outside <script>/<style>: the audit never reads it
        if self.events and self.events[-1][0] == "data":
            self.events[-1] = ("data", self.events[-1][1] + data)  # HTMLParser may split it
        else:
            self.events.append(("data", data))

    def handle_pi(self, data):
        self.events.append(("pi", data))


def events(text: str, fast: bool) -> list[tuple]:
    rec = Recorder()
    if fast:
        audit._tokenize(rec, text)
    else:
        rec.feed(text)
        rec.close()
    return rec.events


TRICKY = [
    '<!doctype html><html><head><meta charset="utf-8"><title>x</title></head>',
    "<p class=plain>unquoted <a href=../a.html title='it&#39;s'>x</a></p>",
    '<img src="a.png" alt="a > b"/><br/><input disabled>',
    "<!-- <img src='http://x/'> --><![CDATA[ <img src=x> ]]><?xml-stylesheet href='s.css'?>",
    "<script>var a = '<b>' + \"</scr\" + 'ipt>';</script ><style>p{background:url(x.png)}</style>",
    "<svg><use xlink:href='#i'/></svg>< notatag <3 <a\nhref=\"x\"\n>y</a>",
]


@pytest.mark.parametrize("text", TRICKY)
def test_same_events_on_tricky_markup(text):
    assert events(text, fast=True) == events(text, fast=False)


def test_unclosed_script_is_still_read():
    """HTMLParser drops a script cut off at the end of a file; the audit reads it."""
    text = "<script>fetch('https://example.org/')"
    assert events(text, fast=False) == [("start", "script", ())]
    assert events(text, fast=True) == [("start", "script", ()), ("data", "fetch('https://example.org/')")]
    assert audit.audit_text("x.html", text)[0].url == "https://example.org/"


def test_self_closed_script_is_still_read():
    text = "<script/>fetch('https://example.org/')</script>"
    assert [f.url for f in audit.audit_text("x.html", text)][:1] == ["https://example.org/"]


def test_same_events_on_every_built_page(synth_root, starter_site):
    pages = sorted((synth_root / "site").rglob("*.html")) + sorted(starter_site.rglob("*.html"))
    pages += sorted(starter_site.rglob("*.svg"))
    assert len(pages) > 100
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert events(text, fast=True) == events(text, fast=False), page


def test_memory_of_clean_tags_keeps_every_finding():
    """Clean tags are remembered per folder; a tag with a finding is reported in every file."""
    clean: set = set()
    page = '<p><a href="../x.html" class="k">x</a><img src="https://example.org/a.png"></p>'
    for rel in ("a/one.html", "a/two.html"):
        found = audit.audit_text(rel, page, "", clean)
        assert [(f.output, f.url) for f in found] == [(rel, "https://example.org/a.png")]
    assert any(key[1] == '<a href="../x.html" class="k">' for key in clean)
    top = audit.audit_text("one.html", page, "", clean)  # from the top, ../ leaves the site
    assert sorted(f.url for f in top) == ["../x.html", "https://example.org/a.png"]
