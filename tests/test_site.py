"""Real builds of the mini fixture and the starter site: what a reader gets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT, copy_site, run_kbsite
from linkcheck import broken_links


@pytest.fixture(scope="module")
def mini_site(tmp_path_factory) -> Path:
    root = copy_site(tmp_path_factory.mktemp("mini"), "mini")
    tails = root / "content/devices/what-is-tails.md"
    text = tails.read_text(encoding="utf-8")
    # Markup in cells and tool text must stay text.
    text = text.replace(
        "meaning: Starts clean on every boot", 'meaning: "<script>alert(1)</script> **bold** <b>x</b>"'
    )
    tails.write_text(text, encoding="utf-8")
    tools = root / "content/_data/tools.yml"
    tools.write_text(
        tools.read_text(encoding="utf-8").replace(
            "description: A live system that sends all traffic through Tor.",
            'description: "A live system <img src=x onerror=alert(1)> [link](https://evil.example/)"',
        ),
        encoding="utf-8",
    )
    result = run_kbsite("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "site"


def html(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def test_cell_and_tool_markup_is_shown_as_text(mini_site):
    page = html(mini_site, "devices/what-is-tails.html")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** &lt;b&gt;x&lt;/b&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="https://evil.example/' not in page


def test_tables_are_accessible(mini_site):
    page = html(mini_site, "devices/what-is-tails.html")
    assert page.count("<caption>") == 3
    assert "<caption>Main features of Tails</caption>" in page
    assert "<caption>Common misunderstandings</caption>" in page  # the kind's default caption
    assert '<th scope="col">Role in anonymity</th>' in page
    assert '<th scope="row" data-label="Feature">Amnesic sessions</th>' in page
    assert '<td data-label="Role in anonymity">Leaves fewer traces on the computer</td>' in page
    assert "{{ table" not in page and "KBSITETABLE" not in page


def test_glossary_links_first_use_only_outside_code(mini_site):
    page = html(mini_site, "devices/what-is-tails.html")
    body = page[page.index('<h1 id="what-is-tails"') :]
    assert body.count('href="../glossary.html#tor"') == 1
    assert '<a class="kb-term" href="../glossary.html#tor">Tor</a>' in body
    assert '<a class="kb-term" href="../glossary.html#opsec">OPSEC</a>' in body
    assert "<code>Tor</code>" in body
    glossary = html(mini_site, "glossary.html")
    assert '<dt id="tor">' in glossary and '<dt id="opsec">' in glossary


def test_tool_cards_show_url_and_caution_once(mini_site):
    page = html(mini_site, "devices/what-is-tails.html")
    cards = re.findall(r'<li class="kb-card">.*?</li>', page, re.S)
    assert len(cards) == 2
    for card, url in zip(cards, ["https://tails.net/", "https://www.torproject.org/"]):
        assert f'<a class="kb-external" href="{url}" rel="noopener noreferrer">{url}</a>' in card
        assert "Why it is listed:" in card and "External site" not in card
    block = page[page.index('<section class="kb-related-tools"') : page.index('<ul class="kb-cards">')]
    assert "<strong>External sites.</strong> These links leave Mini KB" in block
    assert page.count("External site") == 1


def test_external_body_link_marked_in_text(mini_site):
    page = html(mini_site, "network/tor-vs-vpn.html")
    assert re.search(
        r'<a class="kb-external" href="https://www.torproject.org/" rel="noopener noreferrer">'
        r'the Tor Project<span class="kb-external__note"> \(external site\)</span></a>',
        page,
    )


def test_generated_pages(mini_site):
    home = html(mini_site, "index.html")
    assert "3 articles in 2 categories" in home
    assert re.search(r'href="network/index.html">Network</a> <span class="kb-muted">2 articles</span>', home)
    assert "What Is Tails?" in home  # recently updated
    assert "Category: Network" in html(mini_site, "network/index.html")
    az = html(mini_site, "a-z.html")
    assert az.index("Public Wi-Fi") < az.index("Tor vs VPN") < az.index("What Is Tails?")
    tool = html(mini_site, "tools/tails.html")
    assert 'href="../devices/what-is-tails.html">What Is Tails?</a>' in tool
    assert "Official downloads and documentation." in tool
    myths = html(mini_site, "misunderstandings.html")
    assert "Tails makes any post safe" in myths and 'href="devices/what-is-tails.html"' in myths
    checks = html(mini_site, "checklists.html")
    assert "Decide what you will save" in checks and "Prefer HTTPS sites" in checks


def test_every_link_resolves(mini_site):
    assert broken_links(mini_site) == []


def test_navigation_is_pruned(mini_site):
    """An article's sidebar lists its own category's articles, not the others'."""
    page = html(mini_site, "devices/what-is-tails.html")
    nav = page[
        page.index('<nav class="md-nav md-nav--primary"') : page.index(
            "</nav>", page.index("md-nav--primary")
        )
    ]
    assert "Network" in nav and "Devices" in nav
    assert "tor-vs-vpn.html" not in nav and "public-wifi.html" not in nav


def test_related_filled_from_category_and_tags(mini_site):
    page = html(mini_site, "network/public-wifi.html")
    related = page[page.index('id="related-articles"') :]
    assert "tor-vs-vpn.html" in related and "what-is-tails.html" in related


def test_new_writes_a_valid_skeleton_and_never_overwrites(mini):
    result = run_kbsite("new", "Using Onion Services", "--category", "network", cwd=mini)
    assert result.returncode == 0, result.stderr
    path = mini / "content/network/using-onion-services.md"
    text = path.read_text(encoding="utf-8")
    for kind in ("features", "protects", "risks", "situations", "checks", "misunderstandings"):
        assert f"{{{{ table: {kind} }}}}" in text and f"kind: {kind}" in text
    assert run_kbsite("check", cwd=mini).returncode == 0
    path.write_text(text + "\nmy edits\n", encoding="utf-8")
    again = run_kbsite("new", "Using Onion Services", "--category", "network", cwd=mini)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert path.read_text(encoding="utf-8").endswith("my edits\n")
    bad = run_kbsite("new", "X", "--category", "nope", cwd=mini)
    assert bad.returncode == 2 and "unknown category 'nope'" in bad.stderr


# The shipped starter knowledge base.


def test_starter_has_the_promised_content(starter_site):
    articles = [
        p for p in starter_site.glob("*/*.html") if p.parent.name != "tools" and p.name != "index.html"
    ]
    assert len(articles) >= 16
    categories = {p.parent.name for p in articles}
    assert len(categories) >= 4
    assert len(list((starter_site / "tools").glob("*.html"))) - 1 >= 12
    assert html(starter_site, "glossary.html").count("<dt ") >= 20


def test_starter_tails_page(starter_site):
    page = html(starter_site, "devices/what-is-tails.html")
    captions = re.findall(r"<caption( class=\"kb-sr\")?>", page)  # kb-sr: its heading says it
    assert len(captions) >= 6
    for kind in ("features", "protects", "risks", "situations", "checks", "misunderstandings"):
        assert f"kb-table--{kind}" in page
    cards = re.findall(r'<li class="kb-card">.*?</li>', page, re.S)
    assert len(cards) >= 5
    for url in (
        "https://www.torproject.org/",
        "https://tails.net/",
        "https://www.whonix.org/",
        "https://www.qubes-os.org/",
    ):
        assert f">{url}</a>" in page
    assert "VPN service" in page
    assert 'href="../glossary.html#tor"' in page and 'href="../glossary.html#opsec"' in page
    related = page[page.index('id="related-articles"') :]
    assert len(re.findall(r'<li><a href="', related)) >= 3


def test_starter_links_resolve(starter_site):
    assert broken_links(starter_site) == []


def test_starter_strict_mkdocs_build_is_clean(tmp_path):
    import subprocess
    import sys

    root = copy_site(tmp_path, "starter")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING  -" not in result.stderr


def test_only_publishable_files_reach_the_site(mini_site):
    """Data files, templates and print CSS are inputs, never output."""
    leaked = [
        p.relative_to(mini_site).as_posix()
        for p in mini_site.rglob("*")
        if p.is_file()
        and (
            p.suffix in (".yml", ".j2", ".md") or p.parts[len(mini_site.parts)] in ("handbook", "kb", "_data")
        )
    ]
    assert leaked == []


def test_text_links_mark_the_current_page_in_every_folder(starter_site):
    """The no-JavaScript links are rendered once per folder: each copy must still
    point from its own folder, mark the page itself as current, and on other pages of a
    section (an article, a tool's page) mark the section."""
    import re

    def textnav(rel: str) -> str:
        return re.search(r'<nav class="kb-textnav".*?</nav>', html(starter_site, rel), re.S).group(0)

    assert 'href="index.html" aria-current="page">Home<' in textnav("index.html")
    network = textnav("network/index.html")
    assert 'href="index.html" aria-current="page">Network<' in network
    assert 'href="../devices/index.html">Devices' in network
    article = textnav("network/what-a-vpn-does-not-hide.html")
    assert article.count("aria-current") == 1 and 'href="index.html" aria-current="true">Network<' in article
    tool = textnav("tools/tails.html")
    assert tool.count("aria-current") == 1 and 'href="index.html" aria-current="true">Tools<' in tool
    assert "aria-current" not in textnav("tools/index.html").replace('aria-current="page">Tools', "")
    assert 'href="a-z.html" aria-current="page">A–Z' in textnav("a-z.html")
