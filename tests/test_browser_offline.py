"""Every page of the starter site, opened from file:// in real browsers, loads nothing
from elsewhere and logs no error; at Tor Browser's Safest level the navigation is text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from browsers import PageLog, chromium_own, site_pages
from conftest import ROOT

from kbsite.safety import audit

SCREENSHOTS = ROOT / "screenshots" / "safest"  # looked at by people; gitignored
WIDTHS = (1000, 400)  # Tor Browser's default window, and a phone
SHOT_PAGES = ("index.html", "devices/what-is-tails.html")


@pytest.mark.parametrize("js", [True, False], ids=["js-on", "js-off"])
def test_chromium_every_page_loads_only_files(starter_site, chromium, chromium_proxy, js):
    pages = site_pages(starter_site)
    assert len(pages) > 40
    context = chromium.new_context(java_script_enabled=js)
    page = context.new_page()
    log = PageLog(page)
    chromium_proxy.take()
    problems = []
    for path in pages:
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(20)  # let late console messages arrive
        problems += [f"{path.relative_to(starter_site)}: {x}" for x in log.requests + log.errors]
        log.requests.clear()
        log.errors.clear()
    context.close()
    assert problems == []
    assert chromium_own(chromium_proxy.take()) == []


@pytest.mark.parametrize("level", ["safest", "standard"])
def test_firefox_every_page_sends_nothing(starter_site, firefox, firefox_proxy, level):
    getattr(firefox, level)()
    firefox.set_viewport(1000, 800)
    firefox_proxy.take()
    firefox.console_errors()
    problems = []
    for path in site_pages(starter_site):
        firefox.open(path.as_uri())
        problems += [f"{path.relative_to(starter_site)}: {e}" for e in firefox.console_errors()]
    assert problems == []
    assert firefox_proxy.take() == []
    if level == "standard":  # JavaScript really ran: Material removes the no-js class
        assert "no-js" not in firefox.client.execute_script("return document.documentElement.className")
    firefox.safest()


LEAK_HOST = "leak.kbsite.test"
LEAK = f"http://{LEAK_HOST}/pixel.png"  # Firefox may upgrade it: CONNECT leak.kbsite.test:443


@pytest.fixture(scope="module")
def leaky_page(tmp_path_factory) -> Path:
    """The control: a page with one external image (written by hand; the audit would
    never let a build produce it)."""
    page = tmp_path_factory.mktemp("control") / "leak.html"
    page.write_text(f'<!doctype html><title>Leak</title><p>One image:</p><img src="{LEAK}" alt="x">\n')
    return page


def test_control_audit_catches_the_leak(leaky_page):
    findings = audit.audit_text("leak.html", leaky_page.read_text())
    assert [(f.what, f.url) for f in findings if f.url] == [("<img src>", LEAK)]


def test_control_chromium_reports_the_leak(leaky_page, chromium, chromium_proxy):
    page = chromium.new_page()
    log = PageLog(page)
    chromium_proxy.take()
    page.goto(leaky_page.as_uri(), wait_until="load")
    page.close()
    assert LEAK in log.requests
    assert any(LEAK_HOST in line for line in chromium_proxy.take())


def test_control_firefox_reports_the_leak(leaky_page, firefox, firefox_proxy):
    firefox.safest()  # images still load at Safest
    firefox_proxy.take()
    firefox.open(leaky_page.as_uri())
    seen = firefox_proxy.take()
    assert any(LEAK_HOST in line for line in seen), seen


@pytest.fixture(scope="module")
def blocked_page(tmp_path_factory) -> Path:
    """The control for console errors: an inline script the page's own policy blocks."""
    from kbsite.safety import policy

    page = tmp_path_factory.mktemp("control") / "blocked.html"
    page.write_text(
        f'<!doctype html><meta http-equiv="Content-Security-Policy" content="{policy.META_CSP}">'
        "<title>Blocked</title><script>document.title = 'ran'</script>\n"
    )
    return page


def test_control_chromium_reports_a_policy_violation(blocked_page, chromium):
    page = chromium.new_page()
    log = PageLog(page)
    page.goto(blocked_page.as_uri(), wait_until="load")
    page.wait_for_timeout(20)
    assert page.title() == "Blocked"
    page.close()
    assert any("Content Security Policy" in e for e in log.errors), log.errors


def test_control_firefox_reports_a_policy_violation(blocked_page, firefox):
    firefox.standard()
    firefox.console_errors()
    firefox.open(blocked_page.as_uri())
    errors = firefox.console_errors()
    firefox.safest()
    assert firefox.client.title == "Blocked"
    assert any("Content-Security-Policy" in e or "CSP" in e for e in errors), errors


def on_top(client, element) -> bool:
    """Nothing covers the element's centre (Marionette runs this even with JavaScript off)."""
    return client.execute_script(
        """
        const r = arguments[0].getClientRects()[0];  // a wrapped link: its first line
        if (!r) return false;
        const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return hit !== null && arguments[0].contains(hit);""",
        script_args=[element],
    )


def _nav_titles(site: Path) -> list[str]:
    categories = yaml.safe_load((site.parent / "content" / "_data" / "categories.yml").read_text())
    return ["Home", *(c["title"] for c in categories), "A–Z index"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", SHOT_PAGES)
def test_safest_navigation_is_visible_text(starter_site, firefox, firefox_proxy, width, name):
    from marionette_driver.by import By

    firefox.safest()
    firefox.set_viewport(width, 800)
    firefox.open((starter_site / name).as_uri())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    firefox.screenshot(SCREENSHOTS / f"{name.replace('/', '_').removesuffix('.html')}-{width}.png")
    client = firefox.client
    assert client.execute_script("return innerWidth") == width
    view_w, view_h = client.execute_script("return [innerWidth, innerHeight]")
    assert "no-js" in client.execute_script("return document.documentElement.className")

    def visible(element) -> bool:
        r = element.rect
        return (
            element.is_displayed()
            and r["width"] > 0
            and r["height"] > 0
            and r["x"] >= 0
            and r["y"] >= 0
            and r["x"] + r["width"] <= view_w
            and r["y"] + r["height"] <= view_h
            and on_top(client, element)
        )

    links = {a.text.strip(): a for a in client.find_elements(By.CSS_SELECTOR, ".kb-textnav a")}
    for title in _nav_titles(starter_site):
        assert title in links, f"no text link {title!r} at {width} px"
        assert visible(links[title]), f"{title!r} is not visible at {width} px: {links[title].rect}"
    search = links["Find an article in the A–Z index"]
    assert visible(search)
    # The menu button shows a word, not only its (vanished) SVG icon.
    menu = client.find_element(By.CSS_SELECTOR, 'label.md-header__button[for="__drawer"]')
    assert visible(menu)
    # The word comes from the page (data-kb-label, from the catalog), so it follows the language.
    label = client.execute_script(
        "return getComputedStyle(arguments[0], '::after').content", script_args=[menu]
    )
    assert label in ('"Menu"', "attr(data-kb-label)") and menu.get_attribute("data-kb-label") == "Menu"
    assert firefox_proxy.take() == []


def test_safest_menu_opens_without_javascript(starter_site, firefox):
    """At 400 px the drawer opens by Material's CSS checkbox alone; its section title
    leads back up to every top-level link."""
    from marionette_driver.by import By

    firefox.safest()
    firefox.set_viewport(400, 800)
    firefox.open((starter_site / "devices" / "what-is-tails.html").as_uri())
    client = firefox.client
    drawer = client.find_element(By.CSS_SELECTOR, ".md-nav--primary")

    def shown_links(timeout: float = 3.0) -> list[str]:
        """Link texts fully inside the viewport, once the slide-in transition ends."""
        deadline = time.monotonic() + timeout
        while True:
            texts = [
                a.text.strip()
                for a in drawer.find_elements(By.CSS_SELECTOR, "a.md-nav__link")
                if a.is_displayed()
                and a.rect["x"] >= 0
                and a.rect["width"] > 0
                and a.rect["x"] + a.rect["width"] <= 400
                and on_top(client, a)
            ]
            if "What Is Qubes OS?" in texts or "A–Z index" in texts or time.monotonic() > deadline:
                return texts
            time.sleep(0.1)

    assert shown_links(timeout=0) == []  # closed
    client.find_element(By.CSS_SELECTOR, 'label.md-header__button[for="__drawer"]').click()
    texts = shown_links()
    assert "What Is Qubes OS?" in texts and "A–Z index" not in texts  # the article's section
    client.find_element(By.CSS_SELECTOR, ".md-nav__item--active > nav > label.md-nav__title").click()
    time.sleep(0.3)  # the section panel slides away
    texts = shown_links()
    assert "Home" in texts and "A–Z index" in texts and "What Is Qubes OS?" not in texts
