"""The accessibility gate: axe-core on every page of the starter site in Chromium, with
JavaScript on and off, at 1280 and 400 px, for WCAG 2.2 A/AA and best practice. The
result must be no violation outside axe.EXCEPTIONS."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import axe
import pytest
from browsers import site_pages

WIDTHS = (1280, 400)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """The site over loopback HTTP, for 404.html: its links are root-absolute, for servers."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def axe_js() -> str:
    return axe.axe_source()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("js", [True, False], ids=["js-on", "js-off"])
def test_axe_every_page(starter_site, chromium, axe_js, js, width):
    with serve(starter_site) as base:
        urls = [p.as_uri() for p in site_pages(starter_site)] + [f"{base}/404.html"]
        assert len(urls) > 40
        # Two contexts, one per core: axe runs in one while the other page loads.
        contexts = [
            chromium.new_context(java_script_enabled=js, viewport={"width": width, "height": 900})
            for _ in range(2)
        ]
        try:
            found = axe.run_all([c.new_page() for c in contexts], urls, axe_js, js)
        finally:
            for c in contexts:
                c.close()

    def name(url: str) -> str:
        return url.removeprefix(starter_site.as_uri() + "/").removeprefix(base + "/")

    assert axe.unexpected(found, name) == []


BAD_PAGE = (
    "<!doctype html><html><head><title>Bad</title></head><body><main><h1>Bad</h1>"
    '<p>Text with <a href="#x" style="color:#222;text-decoration:none">a link</a> inside.</p>'
    '<h4>Skipped levels</h4><input type="checkbox"><img src="data:,">'
    "</main></body></html>"
)
BAD_RULES = {"label", "image-alt", "heading-order", "html-has-lang", "link-in-text-block"}


@pytest.fixture
def bad_page(tmp_path) -> str:
    """The control: a page with known defects, which must get the rules they break."""
    (tmp_path / "bad.html").write_text(BAD_PAGE)
    return (tmp_path / "bad.html").as_uri()


def test_axe_finds_violations(chromium, axe_js, bad_page):
    context = chromium.new_context()
    try:
        found = axe.run_all([context.new_page()], [bad_page], axe_js, True)
    finally:
        context.close()
    assert {v["id"] for v in found[bad_page]} >= BAD_RULES


def test_axe_finds_violations_in_firefox(firefox, axe_js, bad_page):
    firefox.standard()
    try:
        violations = axe.run_firefox(firefox, bad_page, axe_js)
    finally:
        firefox.safest()
    assert BAD_RULES - {"link-in-text-block"} <= {v["id"] for v in violations}


# WCAG 1.4.12: what a reader's own style sheet may set without text being cut off.
TEXT_SPACING = """* { line-height: 1.5 !important; letter-spacing: .12em !important; word-spacing: .16em !important; }
p { margin-bottom: 2em !important; }"""

_OVERFLOW_JS = """() => {
  const wide = document.documentElement.scrollWidth > innerWidth + 1;
  const clipped = [];
  for (const el of document.querySelectorAll("body *")) {
    const s = getComputedStyle(el);
    if (!/hidden|clip/.test(s.overflowX + s.overflowY) || s.visibility !== "visible" || el.closest(".kb-sr, [hidden]")) continue;
    if (!el.textContent.trim() || el.getClientRects().length === 0) continue;
    if (el.clientWidth <= 1 || el.clientHeight <= 1) continue;  // hidden on purpose, for screen readers
    const cutX = /hidden|clip/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 2 && s.textOverflow !== "ellipsis";
    const cutY = /hidden|clip/.test(s.overflowY) && el.scrollHeight > el.clientHeight + 2;
    if (cutX || cutY) clipped.push(el.tagName.toLowerCase() + "." + el.className + ": " + el.textContent.trim().slice(0, 40));
  }
  return {wide, clipped};
}"""


@pytest.mark.parametrize("viewport", [(320, 800), (320, 180)], ids=["320px", "1280x720-at-400%"])
def test_reflow_and_text_spacing(starter_site, chromium, viewport):
    """No horizontal scrolling at 320 CSS px, also at 400 % zoom of a 1280 × 720 window
    (WCAG 1.4.10), and none, nor cut-off text, under the text-spacing overrides (1.4.12)."""
    width, height = viewport
    context = chromium.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    problems = []
    try:
        for path in site_pages(starter_site):
            page.goto(path.as_uri(), wait_until="load")
            plain = page.evaluate(_OVERFLOW_JS)
            page.add_style_tag(content=TEXT_SPACING)
            spaced = page.evaluate(_OVERFLOW_JS)
            name = path.relative_to(starter_site).as_posix()
            if plain["wide"]:
                problems.append(f"{name}: scrolls sideways")
            if spaced["wide"]:
                problems.append(f"{name}: scrolls sideways with text spacing")
            problems += [f"{name}: cut off with text spacing: {c}" for c in spaced["clipped"]]
    finally:
        context.close()
    assert problems == []


def test_axe_every_page_in_firefox(starter_site, firefox, axe_js):
    """Once in Firefox ESR too (JavaScript on, 1280 px): another engine's layout and
    accessibility tree."""
    firefox.standard()
    firefox.set_viewport(1280, 900)
    try:
        found = {p.as_uri(): axe.run_firefox(firefox, p.as_uri(), axe_js) for p in site_pages(starter_site)}
    finally:
        firefox.safest()
    assert len(found) > 40
    assert axe.unexpected(found, lambda url: url.removeprefix(starter_site.as_uri() + "/")) == []
