"""axe-core in real browsers: the accessibility gate's engine (see tests/test_a11y.py).

axe-core is pinned in tests/a11y/package-lock.json and installed by `scripts/setup --test`
into .venv/a11y; it is injected into the page under test by the browser driver, never
written into a site.
"""

from __future__ import annotations

from conftest import ROOT

AXE_JS = ROOT / ".venv" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}

# The accepted findings, on any page: (rule id, the element's selector) -> why.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("region", "#__drawer"): (
        "Below 1220 px the drawer's toggle is focusable (the menu button's keyboard half, named by"
        " that button's label); Material's CSS needs it before the header and the page container,"
        " as their sibling, so it cannot sit inside a landmark."
    ),
}

# With JavaScript off Chromium runs no timers, and axe waits on setTimeout between its
# steps: run those steps as microtasks (the page's own scripts stay off).
_TIMERS = "window.setTimeout = (f, ms, ...a) => { Promise.resolve().then(() => f(...a)); return 0; };"

_START = """(o) => { window.__kbAxe = axe.run(document, o).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact,
  nodes: v.nodes.map(n => ({target: n.target.join(" "), why: n.failureSummary}))}))); }"""


def axe_source() -> str:
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} is missing: run scripts/setup --test")
    return AXE_JS.read_text(encoding="utf-8")


def start(page, source: str, js: bool) -> None:
    """Inject axe into a loaded page and start its run, without waiting for it."""
    if not js:
        page.evaluate(_TIMERS)
    page.evaluate(source)
    page.evaluate(_START, OPTIONS)


def finish(page) -> list[dict]:
    """The violations of the run started on `page`: [{id, impact, nodes}]."""
    return page.evaluate("() => window.__kbAxe")


def run_all(pages: list, urls: list[str], source: str, js: bool) -> dict[str, list[dict]]:
    """axe on every URL, the pages (one per browser context) working side by side."""
    found: dict[str, list[dict]] = {}
    for i in range(0, len(urls), len(pages)):
        batch = list(zip(pages, urls[i : i + len(pages)], strict=False))
        for page, url in batch:
            page.goto(url, wait_until="load")
            start(page, source, js)
        for page, url in batch:
            found[url] = finish(page)
    return found


def unexpected(found: dict[str, list[dict]], name) -> list[str]:
    """Violations outside EXCEPTIONS, one line per rule and page; `name(url)` names the page."""
    lines = []
    for url, violations in found.items():
        for v in violations:
            nodes = [n for n in v["nodes"] if (v["id"], n["target"]) not in EXCEPTIONS]
            if nodes:
                shown = "; ".join(f"{n['target']}: {n['why']}" for n in nodes[:3])
                lines.append(f"{name(url)}: {v['id']} ({v['impact']}, {len(nodes)} elements) {shown}")
    return lines


def tally(found: dict[str, list[dict]]) -> dict[str, tuple[int, int]]:
    """rule -> (pages, nodes)."""
    out: dict[str, tuple[int, int]] = {}
    for violations in found.values():
        for v in violations:
            pages, nodes = out.get(v["id"], (0, 0))
            out[v["id"]] = (pages + 1, nodes + len(v["nodes"]))
    return out


def run_firefox(firefox, url: str, source: str) -> list[dict]:
    """axe on one page in Firefox (tests/browsers.py's Marionette session): the violations."""
    firefox.open(url)
    firefox.client.timeout.script = 120
    firefox.client.execute_script(source, sandbox=None)
    return firefox.client.execute_async_script(
        "const [options, done] = arguments; (" + _START + ")(options); window.__kbAxe.then(done);",
        script_args=[OPTIONS],
        sandbox=None,
    )
