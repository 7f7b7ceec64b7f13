"""What the accessibility fixes write into every page (read from the built starter site;
the browsers check the same in tests/test_a11y.py and tests/test_keyboard.py)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from browsers import site_pages
from conftest import ROOT

from kbsite.site.frame import skip_link_first


def read(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def front_matter(rel: str) -> dict:
    return yaml.safe_load((ROOT / "content" / rel).read_text(encoding="utf-8").split("---")[1])


def test_every_page_starts_with_the_skip_link_to_its_content(starter_site):
    for path in [*site_pages(starter_site), starter_site / "404.html"]:
        text = path.read_text(encoding="utf-8")
        body = re.search(r"<body\b[^>]*>\s*(<[^>]*>)", text)
        assert body and body.group(1) == '<a href="#kb-content" class="md-skip kb-skip">', path
        assert text.count('id="kb-content"') == 1 and text.count("md-skip") == 1, path


def test_skip_link_first_leaves_other_frames_alone():
    other = "<html><body><p>own frame</p></body></html>"
    assert skip_link_first(other) == other


def test_meta_description_is_the_pages_own(starter_site):
    def description(rel: str) -> str:
        return re.search(r'<meta name="description" content="([^"]*)">', read(starter_site, rel)).group(1)

    import html

    assert (
        html.unescape(description("devices/what-is-tails.html"))
        == front_matter("devices/what-is-tails.md")["summary"]
    )
    categories = yaml.safe_load((ROOT / "content/_data/categories.yml").read_text(encoding="utf-8"))
    devices = next(c for c in categories if c["id"] == "devices")
    assert html.unescape(description("devices/index.html")) == " ".join(devices["description"].split())
    tools = yaml.safe_load((ROOT / "content/_data/tools.yml").read_text(encoding="utf-8"))
    tails = next(t for t in tools if t["id"] == "tails")
    assert html.unescape(description("tools/tails.html")) == " ".join(tails["description"].split())
    site = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["site_description"]
    assert description("a-z.html") == site


def test_tool_page_has_no_card_heading_and_marks_tools_current(starter_site):
    page = read(starter_site, "tools/tails.html")
    content = page[page.index('id="kb-content"') :]
    assert "<h3" not in content and 'href="tails.html"' not in content
    assert re.search(
        r'<a href="index.html" class="md-nav__link md-nav__link--active" aria-current="true">', page
    )
    assert 'href="index.html" aria-current="true">Tools<' in page  # the no-JavaScript links too
    navigation = re.sub(r'<nav class="kb-languages".*?</nav>', "", page, flags=re.S)  # languages mark theirs
    assert navigation.count("aria-current") == 2


def test_current_page_entry_says_so(starter_site):
    page = read(starter_site, "devices/what-is-tails.html")
    assert 'href="what-is-tails.html" class="md-nav__link md-nav__link--active" aria-current="page"' in page


def test_section_expander_is_named(starter_site):
    page = read(starter_site, "devices/what-is-tails.html")
    label = re.search(
        r'<label class="md-nav__link[^"]*" for="(__nav_\d+)" id="\1_label" tabindex="0">(.*?)</label>',
        page,
        re.S,
    )
    assert label and re.search(
        r'<span class="kb-sr">\s*Devices & operating systems\s*</span>', label.group(2)
    )


def test_a_caption_that_repeats_its_heading_is_for_screen_readers_only(starter_site):
    page = read(starter_site, "devices/what-is-tails.html")
    captions = dict(
        (text, cls) for cls, text in re.findall(r"<caption( class=\"kb-sr\")?>([^<]*)</caption>", page)
    )
    assert captions["What Tails can help protect"] == ' class="kb-sr"'  # its section's heading says it
    assert captions["Main features of Tails"] == ""  # under "How Tails works": shown
    misunderstandings = read(starter_site, "misunderstandings.html")
    assert (
        misunderstandings.count("<caption>") == 0 and misunderstandings.count('<caption class="kb-sr">') > 5
    )


def test_contents_reach_the_related_sections(starter_site):
    page = read(starter_site, "devices/what-is-tails.html")
    toc = page[page.index('aria-label="Table of contents"') :]
    toc = toc[: toc.index("</nav>")]
    assert (
        toc.index('href="#summary"')
        < toc.index('href="#related-tools"')
        < toc.index('href="#related-articles"')
    )


def test_footer_band_holds_finding_aids(starter_site):
    footer = re.search(r"<footer.*?</footer>", read(starter_site, "glossary.html"), re.S).group(0)
    assert '<a href="a-z.html">A–Z index</a>' in footer and '<a href="#">Back to top</a>' in footer


def test_home_has_entry_points(starter_site):
    page = read(starter_site, "index.html")
    start = page[page.index('id="start-here"') : page.index('id="categories"')]
    basics = sorted(p.stem for p in (ROOT / "content/basics").glob("*.md") if "." not in p.stem)
    assert re.findall(r'href="basics/([a-z0-9-]+)\.html"', start) == basics
    tiles = re.findall(r'<li class="kb-tile"><a class="kb-tile__title" href="([a-z]+)/index.html">', page)
    assert tiles == ["basics", "network", "devices", "files", "practice"]
    assert 'data-md-type="toc" hidden' in page  # no empty contents column: the page is wide
    assert "handbook.pdf" in page[page.index('id="finding-aids"') :]


def test_no_unused_palette_css(starter_site):
    """The starter configures no palette (no dark scheme): Material's palette CSS is not shipped."""
    assert (
        sorted(p.name for p in (starter_site / "assets/stylesheets").iterdir() if "palette" in p.name) == []
    )
    assert "palette" not in read(starter_site, "index.html")
