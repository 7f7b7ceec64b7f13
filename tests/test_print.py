"""Printing one article page from Chromium (print-to-PDF) gives a clean page."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def site(built_mini) -> Path:
    return built_mini / "site"


@pytest.fixture(scope="module")
def page(site, chromium):
    # The session's Chromium (tests/browsers.py): Playwright allows one sync instance at a time.
    pg = chromium.new_page()
    yield pg
    pg.close()


def printed(page, html: Path, out: Path) -> str:
    page.goto(html.as_uri())
    page.pdf(
        path=str(out), format="A4", margin={"top": "15mm", "bottom": "15mm", "left": "15mm", "right": "15mm"}
    )
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def test_article_prints_without_site_chrome_and_with_urls(page, site, tmp_path):
    text = printed(page, site / "network/tor-vs-vpn.html", tmp_path / "article.pdf")
    assert "Tor vs VPN" in text
    # Header, sidebar navigation, search and footer are gone.
    for chrome in [
        "Skip to content",
        "Search",
        "A–Z index",
        "Checklists",
        "Common misunderstandings",
        "Mini KB Tor vs VPN",
    ]:
        assert chrome not in text, chrome
    # The outside link prints its address; the tool card's address is not doubled.
    assert "See the Tor Project (https://www.torproject.org/) for details" in text
    assert "(external site)" not in text
    assert "External sites. These links leave" in text and "URL: https://mullvad.net/" in text
    # The table is complete: every header and cell.
    for cell in [
        "Remaining risk",
        "Example",
        "Reason",
        "Provider logs",
        "A VPN keeps connection records",
        "You trust the provider instead of your network",
    ]:
        assert cell in text, cell


def test_tables_and_cards_fit_the_printed_width(page, site):
    page.goto((site / "devices/what-is-tails.html").as_uri())
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 1000})  # about A4 minus margins at 96 dpi
    overflow = page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        return [...document.querySelectorAll('table, .kb-card')]
            .filter(el => el.getBoundingClientRect().right > width + 0.5 || el.scrollWidth > el.clientWidth + 1)
            .map(el => el.className);
    }""")
    assert page.evaluate("document.querySelectorAll('table.kb-table').length") == 3
    assert overflow == []
    hidden = page.evaluate("""() => ['.md-header', '.md-sidebar--primary', '.md-footer', '.md-search']
        .filter(s => document.querySelector(s) && getComputedStyle(document.querySelector(s)).display !== 'none')""")
    assert hidden == []
    page.emulate_media(media="screen")
