"""Keyboard-only readers, on the Tails page in Chromium at 1280 and 400 px, with and
without JavaScript: the skip link comes first and lands on the content; every Tab stop
is visible, in order, outlined at 3:1 or more and never under the sticky header; the
drawer opens, is used and closes by keyboard."""

from __future__ import annotations

import pytest

PAGE = "devices/what-is-tails.html"
MAX_STOPS = 300

# One Tab stop, as the reader sees it. The drawer's toggle is drawn by the menu button
# (or, while the open drawer covers that, by the drawer itself).
_STOP_JS = """() => {
  let el = document.activeElement;
  if (!el || el === document.body) return null;
  const shown = el.id === "__drawer"
    ? (el.checked ? document.querySelector(".md-sidebar--primary") : document.querySelector(".md-header label[for=__drawer]"))
    : el;
  shown.scrollIntoView({block: "nearest"});
  const r = shown.getBoundingClientRect();
  const style = getComputedStyle(shown);
  const cx = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
  const cy = Math.min(Math.max(r.top + Math.min(r.height, 20) / 2, 0), innerHeight - 1);
  const top = document.elementFromPoint(cx, cy);
  const header = document.querySelector(".md-header");
  let fixed = false;  // drawn above the header (the skip link, the drawer)
  for (let n = shown; n && !fixed; n = n.parentElement) fixed = getComputedStyle(n).position === "fixed";
  const inHeader = header.contains(shown) || fixed;
  const hb = header.getBoundingClientRect();
  let bg = null;  // behind the outline: the element's own background if drawn inside it
  const inside = parseFloat(style.outlineOffset) < 0;
  for (let n = inside ? shown : shown.parentElement; n && !bg; n = n.parentElement) {
    const c = getComputedStyle(n).backgroundColor;
    if (c && c !== "rgba(0, 0, 0, 0)" && c !== "transparent") bg = c;
  }
  const region = el.closest("#kb-content") ? "content" : el.closest(".md-sidebar--secondary") ? "toc"
    : el.closest(".md-sidebar--primary") ? "nav" : el.closest(".md-header") ? "header" : "other";
  return {
    what: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + (el.textContent || el.value || "").trim().slice(0, 40),
    region, left: r.left, top: r.top, width: r.width, height: r.height, y: r.top + scrollY, x: r.left,
    visibility: style.visibility, opacity: style.opacity,
    onTop: !!top && (shown.contains(top) || top.contains(shown)),
    underHeader: !inHeader && r.top < hb.bottom - 1 && getComputedStyle(header).position !== "static",
    viewport: [innerWidth, innerHeight],
    outline: [style.outlineStyle, parseFloat(style.outlineWidth), style.outlineColor], bg: bg || "rgb(255, 255, 255)",
  };
}"""


def _rgba(css: str) -> tuple[float, float, float, float]:
    parts = css[css.index("(") + 1 : css.index(")")].replace("/", ",").replace(" ", ",").split(",")
    nums = [float(p) for p in parts if p]
    return nums[0], nums[1], nums[2], nums[3] if len(nums) > 3 else 1.0


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg_css: str, bg_css: str) -> float:
    """WCAG contrast of a (possibly translucent) colour drawn over an opaque background."""
    fr, fg, fb, fa = _rgba(fg_css)
    br, bgc, bb, _ = _rgba(bg_css)
    blended = (fr * fa + br * (1 - fa), fg * fa + bgc * (1 - fa), fb * fa + bb * (1 - fa))
    hi, lo = sorted((_luminance(blended), _luminance((br, bgc, bb))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_helper():
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0
    assert contrast("rgba(0, 0, 0, 0.1)", "rgb(255, 255, 255)") < 1.5


def stop_problems(stop: dict) -> list[str]:
    w, h = stop["viewport"]
    problems = []
    if (
        stop["visibility"] != "visible"
        or float(stop["opacity"]) < 0.5
        or stop["width"] < 1
        or stop["height"] < 1
    ):
        problems.append("not shown")
    elif not (stop["left"] >= -1 and stop["top"] >= -1 and stop["left"] < w and stop["top"] < h):
        problems.append(f"outside the viewport at ({stop['left']:.0f}, {stop['top']:.0f})")
    elif not stop["onTop"]:
        problems.append("covered by another element")
    if stop["underHeader"]:
        problems.append("under the sticky header")
    style, width, color = stop["outline"]
    if style == "none" or width < 1.5:
        problems.append(f"no focus outline ({style} {width}px)")
    elif contrast(color, stop["bg"]) < 3:
        problems.append(f"focus outline {color} on {stop['bg']}: {contrast(color, stop['bg']):.2f}:1")
    return [f"{stop['what']!r} ({stop['region']}): {p}" for p in problems]


def walk(page) -> list[dict]:
    """Every Tab stop from the top of the page until focus leaves it or comes round again."""
    stops: list[dict] = []
    seen = set()
    for _ in range(MAX_STOPS):
        page.keyboard.press("Tab")
        stop = page.evaluate(_STOP_JS)
        if stop is None:
            break
        key = page.evaluate(
            "() => { const e = document.activeElement; return e.outerHTML.slice(0, 200) + '@' + [...document.querySelectorAll('*')].indexOf(e); }"
        )
        if key in seen:
            break
        seen.add(key)
        stops.append(stop)
    return stops


@pytest.fixture(
    params=[(True, 1280), (True, 400), (False, 1280), (False, 400)],
    ids=lambda p: f"{'js' if p[0] else 'nojs'}-{p[1]}",
)
def tails(request, starter_site, chromium):
    js, width = request.param
    context = chromium.new_context(java_script_enabled=js, viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto((starter_site / PAGE).as_uri(), wait_until="load")
    yield page, width
    context.close()


def test_skip_link_first_and_lands_on_content(tails):
    page, _ = tails
    page.keyboard.press("Tab")
    first = page.evaluate(_STOP_JS)
    assert first["what"].startswith("a Skip to content"), first
    assert stop_problems(first) == []
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#kb-content"
    page.keyboard.press("Tab")
    landed = page.evaluate(_STOP_JS)
    assert landed["region"] == "content" and landed["what"] == "a Devices & operating systems", landed
    assert stop_problems(landed) == []


def test_every_stop_visible_outlined_and_in_order(tails):
    page, width = tails
    stops = walk(page)
    regions = [s["region"] for s in stops]
    assert regions.count("content") > 20  # the article's links were all reached
    if width < 1220:  # the closed drawer's links are not Tab stops
        assert "nav" not in regions
    else:
        assert regions.count("nav") >= 10
    problems = [p for s in stops for p in stop_problems(s)]
    assert problems == []
    # Within each region, stops go down the page, right along a line, or to the next column
    # (the tool cards' grid); never back up and to the left.
    for region in ("header", "nav", "toc", "content"):
        ys = [(s["y"], s["x"], s["what"]) for s in stops if s["region"] == region]
        for (y0, x0, a), (y1, x1, b) in zip(ys, ys[1:], strict=False):
            assert y1 > y0 + 2 or (y1 >= y0 - 2 and x1 > x0) or x1 > x0 + 100, (
                f"{region}: {b!r} comes after {a!r} but stands above it"
            )


def test_drawer_opens_is_used_and_closes_by_keyboard(tails):
    page, width = tails
    if width >= 1220:
        pytest.skip("no drawer from 1220 px: the navigation is a sidebar")
    drawer = ".md-sidebar--primary"
    is_open = f"() => getComputedStyle(document.querySelector('{drawer}')).visibility === 'visible'"
    assert not page.evaluate(is_open)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    toggle = page.evaluate(_STOP_JS)
    assert toggle["what"].startswith("input#__drawer") and stop_problems(toggle) == []
    page.keyboard.press("Space")
    page.wait_for_timeout(400)  # the slide-in
    assert page.evaluate(is_open) and page.locator(drawer).bounding_box()["x"] >= 0
    opened = page.evaluate(_STOP_JS)
    assert stop_problems(opened) == [], "the focused toggle must show on the open drawer"
    entries = []
    for _ in range(3):
        page.keyboard.press("Tab")
        stop = page.evaluate(_STOP_JS)
        assert stop["region"] == "nav" and stop_problems(stop) == [], stop
        entries.append(stop["what"])
    assert entries[0] == "a Tails Persistent Storage"
    # The way back up is text, not an SVG mask that vanishes at Tor Browser's Safest level.
    back = page.evaluate(
        """() => { const icon = document.querySelector(
             ".md-nav--primary > .md-nav__list > .md-nav__item--active > .md-nav > .md-nav__title .md-nav__icon");
           const s = getComputedStyle(icon, "::after");
           return [s.content, s.maskImage, icon.dataset.kbLabel]; }"""
    )
    # The words come from the page (data-kb-label, from the catalog), so they follow its language.
    assert back == ['"‹\u00a0All sections"', "none", "All sections"]
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
    assert page.evaluate(_STOP_JS)["what"].startswith("input#__drawer")
    page.keyboard.press("Space")
    page.wait_for_timeout(400)  # the slide-out
    assert not page.evaluate(is_open)
    page.keyboard.press("Tab")  # and its entries are out of the Tab order again
    assert page.evaluate(_STOP_JS)["region"] != "nav"
