"""Content that attacks the layout: a long address in a table cell (site and PDF) and a
very long title (the handbook's running header)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from badinput import VPN, edit, site  # noqa: F401 (site: a fixture)
from conftest import ROOT, run_kbsite

SCREENSHOTS = ROOT / "screenshots" / "hostile"  # looked at by people; gitignored
WORDS = (
    "documentation understanding anonymity relationships implementation considerations "
    "international organisations communication infrastructure responsibilities characteristics"
)
LONG_URL = "https://example.org/" + "/".join(WORDS.split())  # 200 characters, many hyphenation points
PDF = "site/downloads/mini-kb-handbook.pdf"


@pytest.fixture
def long_url_site(site: Path) -> Path:
    edit(
        site, VPN, "example: A VPN keeps connection records", f"example: A VPN keeps records, see {LONG_URL}"
    )
    result = run_kbsite("build", cwd=site)
    assert result.returncode == 0, result.stderr
    return site


@pytest.mark.parametrize("width", [800, 1280, 375])
def test_long_url_in_a_table_cell_does_not_widen_the_page(long_url_site, chromium, width):
    page = chromium.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto((long_url_site / "site/network/tor-vs-vpn.html").as_uri())
        assert page.locator(".kb-table .kb-url").first.inner_text() == LONG_URL
        scroll = page.evaluate("document.documentElement.scrollWidth")
        table = page.evaluate("document.querySelector('.kb-table').getBoundingClientRect().right")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"long-url-{width}.png"), full_page=True)
    finally:
        page.close()
    assert scroll <= width, f"the page is {scroll} px wide in a {width} px window"
    assert table <= width


def pdf_text(root: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(root / PDF), "-"], capture_output=True, text=True).stdout


def test_pdf_breaks_a_long_url_without_hyphens(long_url_site):
    text = pdf_text(long_url_site)
    joined = re.sub(r"\s+", "", text)
    assert LONG_URL in joined, "the address was changed where it was broken (a hyphen?)"


def test_very_long_title_is_cut_in_the_running_header(site):
    title = " ".join(["Anonymity"] + ["and privacy for careful readers"] * 10)[:300]
    edit(site, VPN, "title: Tor vs VPN", f"title: {title}")
    # Long enough to go on past its first page: an article's opening page has no running header.
    with (site / VPN).open("a", encoding="utf-8") as f:
        f.write(("\n\n" + "Plain words that fill the page for this test. " * 30) * 10 + "\n")
    result = run_kbsite("pdf", cwd=site)
    assert result.returncode == 0, result.stderr
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", str(site / PDF)], capture_output=True, text=True).stdout,
        )[1]
    )
    headers = []
    for n in range(1, pages + 1):
        head = pdf_text(
            site, "-f", str(n), "-l", str(n), "-x", "0", "-y", "0", "-W", "700", "-H", "60", "-layout"
        )
        if "Anonymity and privacy" in head:
            headers.append([line for line in head.splitlines() if line.strip()])
    assert headers, "the article's pages carry its title in the header"
    for lines in headers:
        assert len(lines) == 1, lines  # one line, not three
        assert lines[0].rstrip().endswith("…")
