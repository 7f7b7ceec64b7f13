"""The PDF handbook, read back with poppler (pdftotext, pdfinfo, pdffonts) and pypdf."""

from __future__ import annotations

import getpass
import re
import socket
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import copy_site, run_kbsite
from pypdf import PdfReader

from kbsite.content import languages, load
from kbsite.outputs.weasy import local_fetcher

PDF = "site/downloads/mini-kb-handbook.pdf"
DESCRIPTION = "A tiny knowledge base for tests."


def build_mini(root: Path, *extra_yaml: str) -> Path:
    with (root / "mkdocs.yml").open("a") as f:
        f.write("\n".join([f"site_description: {DESCRIPTION}", *extra_yaml]) + "\n")
    result = run_kbsite("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The mini site built once for this module (site and handbook)."""
    return build_mini(copy_site(tmp_path_factory.mktemp("hb"), "mini"))


@pytest.fixture(scope="module")
def kb(built):
    return load.load(built / "content", "Mini KB")


def pages_text(pdf: Path) -> list[str]:
    """The text of each page (pdftotext ends every page with a form feed)."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:-1]
    assert len(pages) == int(re.search(r"^Pages:\s+(\d+)", pdfinfo(pdf), re.M).group(1))
    return pages


def pdfinfo(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout


def lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def toc_entries(pages: list[str]) -> dict[str, int]:
    """Title -> page number as printed on the contents pages (up to chapter 1)."""
    entries: dict[str, int] = {}
    start = next(i for i, text in enumerate(pages) if lines(text)[:1] == ["Contents"])
    for text in pages[start:]:
        if "CHAPTER 1" in lines(text):
            break
        for line in lines(text):
            m = re.match(r"^(?:\d+ )?(.+?)(?: ?\. )+\.? ?(\d+)$", line)
            if m:
                entries[m.group(1).strip()] = int(m.group(2))
    return entries


def check_titles_and_tables(pdf: Path, kb) -> None:
    text = " ".join(" ".join(lines(p)) for p in pages_text(pdf))
    for article in kb.articles:
        assert article.title in text
        for table in article.tables.values():
            assert table.caption in text
            for column in table.kind.columns:
                assert column.label in text, (article.slug, column.label)
    for term in kb.glossary:
        assert term.term in text


def check_contents_pages(pdf: Path, kb) -> None:
    pages = pages_text(pdf)
    toc = toc_entries(pages)
    assert set(toc) >= {a.title for a in kb.articles} | {"Glossary", "Index of tools"}
    for article in kb.articles:
        n = toc[article.title]
        page = lines(pages[n - 1])
        # The title and the meta line below it stand only where the article starts.
        assert article.title in " ".join(page), (article.title, n)
        # (then "· Last reviewed D" where the site sets review_every)
        meta = f"{article.category.title} · Updated {article.updated.isoformat()}"
        assert any(line.startswith(meta) for line in page), (article.title, n)
        assert page[-1] == str(n)  # the footer prints the same number
    assert "Glossary" in lines(pages[toc["Glossary"] - 1])[:3]
    # No table caption left alone at the foot of a page, away from its table.
    captions = {t.caption for a in kb.articles for t in a.tables.values()}
    for n, text in enumerate(pages, 1):
        body = [line for line in lines(text) if not line.isdigit()]
        assert not body or body[-1] not in captions, f"page {n} ends with a caption"


def test_every_article_title_and_table_header_is_printed(built, kb):
    check_titles_and_tables(built / PDF, kb)
    text = " ".join(" ".join(lines(p)) for p in pages_text(built / PDF))
    for term in kb.glossary:
        assert term.definition[:40] in text


def test_contents_page_numbers_are_where_titles_stand(built, kb):
    check_contents_pages(built / PDF, kb)


def test_starter_handbook(starter_site):
    """The shipped content: every title, table header and contents entry checks out."""
    kb = load.load(starter_site.parent / "content", "Anonymity Sense", languages.declared("en", ["ja", "fa"]))
    pdf = starter_site / "downloads/anonymity-sense-handbook.pdf"
    check_titles_and_tables(pdf, kb)
    check_contents_pages(pdf, kb)
    text = " ".join(" ".join(lines(p)) for p in pages_text(pdf))
    assert "https://tails.net/" in text


def test_references_give_real_pages_and_external_urls_in_text(built, kb):
    pages = pages_text(built / PDF)
    toc = toc_entries(pages)
    text = "\n".join(" ".join(lines(p)) for p in pages)
    # Related articles print "see p. N" with the page where that article starts.
    refs = re.findall(r"(Public Wi-Fi|Tor vs VPN|What Is Tails\?) \(see p\. (\d+)\)", text)
    assert refs
    for title, page in refs:
        assert int(page) == toc[title], title
    # A Markdown link to an outside site is followed by its address.
    assert "the Tor Project (https://www.torproject.org/) for details" in text
    assert "(external site)" not in text
    # Tool cards print the full address; the index gives the page of each citation.
    assert "Address: https://mullvad.net/" in text
    index = " ".join(lines(pages[toc["Index of tools"] - 1]))
    assert re.search(
        r"Mullvad VPN \(VPN service\) https://mullvad\.net/ Cited in: Tor vs VPN, p\. (\d+)", index
    )
    cited = int(re.search(r"Tor vs VPN, p\. (\d+)", index).group(1))
    assert "Mullvad VPN · VPN service" in lines(pages[cited - 1])


def test_fonts_are_all_embedded(built):
    out = subprocess.run(["pdffonts", str(built / PDF)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    for row in rows:
        # name type [type] encoding emb sub uni object ID: emb is the 5th field from the end.
        assert row.split()[-5] == "yes", row
        assert "DejaVu" in row, row


def test_metadata_is_set_and_leaks_nothing(built):
    reader = PdfReader(built / PDF)
    info = reader.metadata
    assert info.title == "Mini KB — Handbook"
    assert info.subject == DESCRIPTION
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert info["/CreationDate"] == info["/ModDate"] == "D:20260101000000Z"  # SOURCE_DATE_EPOCH
    assert "/Author" not in info
    raw = (built / PDF).read_bytes()
    fields = " ".join(str(v) for v in info.values())
    for secret in {getpass.getuser(), socket.gethostname(), str(built), str(Path.home())}:
        assert secret not in fields
        # A name of two or three letters (a host called "vm") turns up by chance in
        # compressed streams; the text of the file is checked for those below.
        if len(secret) >= 4:
            assert secret.encode() not in raw
    text = subprocess.run(
        ["pdftotext", str(built / PDF), "-"], capture_output=True, text=True, check=True
    ).stdout
    for secret in {getpass.getuser(), socket.gethostname()}:
        assert not re.search(rf"\b{re.escape(secret)}\b", text)


def test_same_content_same_bytes_anywhere(built, tmp_path):
    # Another folder, and the `kbsite pdf` command instead of a full build.
    other = copy_site(tmp_path, "mini")
    with (other / "mkdocs.yml").open("a") as f:
        f.write(f"site_description: {DESCRIPTION}\n")
    result = run_kbsite("pdf", cwd=other)
    assert result.returncode == 0, result.stderr
    assert re.search(r"Wrote site/downloads/mini-kb-handbook\.pdf: \d+ pages", result.stdout)
    assert (other / PDF).read_bytes() == (built / PDF).read_bytes()


def test_home_and_category_pages_link_the_handbook(built, kb):
    pages = re.search(r"^Pages:\s+(\d+)", pdfinfo(built / PDF), re.M).group(1)
    size = f"{(built / PDF).stat().st_size / 1_000_000:.2f}"
    for html, href in [
        ("index.html", "downloads/mini-kb-handbook.pdf"),
        *((f"{c.id}/index.html", "../downloads/mini-kb-handbook.pdf") for c in kb.categories),
    ]:
        text = (built / "site" / html).read_text()
        assert f'href="{href}"' in text, html
        assert f"{size} MB, {pages} pages" in text, html


def test_handbook_can_be_turned_off(mini):
    yml = mini / "mkdocs.yml"
    yml.write_text(
        yml.read_text().replace("  - kbsite\n", "  - kbsite:\n      handbook: false\n      epub: false\n")
    )
    root = build_mini(mini)
    assert not (root / "site/downloads").exists()
    assert "handbook" not in (root / "site/index.html").read_text().lower()
    downloads = (root / "site/downloads.html").read_text()
    assert "Handbook (PDF)" not in downloads and "EPUB" not in downloads


def test_body_links_and_images(mini):
    from PIL import Image

    Image.new("RGB", (40, 20), "navy").save(mini / "content/devices/diagram.png")
    article = mini / "content/devices/what-is-tails.md"
    article.write_text(
        article.read_text() + "\n![A diagram](diagram.png)\n\n"
        "Compare [the VPN summary](../network/tor-vs-vpn.md#summary) "
        "and tick the [checklists](../checklists.md) page.\n"
    )
    result = run_kbsite("pdf", cwd=mini)
    assert result.returncode == 0, result.stderr
    images = subprocess.run(
        ["pdfimages", "-list", str(mini / PDF)], capture_output=True, text=True, check=True
    )
    assert len(images.stdout.splitlines()[2:]) == 1, images.stdout
    pages = pages_text(mini / PDF)
    text = " ".join(" ".join(lines(p)) for p in pages)
    # A link to a section of another article gives the page of that section.
    page = int(
        re.search(r"Compare the VPN summary \(see p\. (\d+)\) and tick the checklists page\.", text).group(1)
    )
    assert "Summary" in lines(pages[page - 1]) and "Tor vs VPN" in lines(pages[page - 1])


def test_fetcher_reads_only_local_files(tmp_path):
    from kbsite.outputs.weasy import VIRTUAL_ROOT

    (tmp_path / "inside.txt").write_text("ok")
    fetch = local_fetcher(tmp_path)
    assert fetch.fetch("data:text/plain,hi").read() == b"hi"
    # Content is addressed by one fixed URL on every machine, not by the build folder.
    assert fetch.fetch(f"file://{VIRTUAL_ROOT}/inside.txt").read() == b"ok"
    (tmp_path.parent / "outside.txt").write_text("secret")
    for url in [
        "https://example.org/x.png",
        "http://127.0.0.1/x.css",
        "ftp://example.org/x",
        (tmp_path.parent / "outside.txt").as_uri(),
        (tmp_path / "inside.txt").as_uri(),
        f"file://{VIRTUAL_ROOT}/../outside.txt",
        f"file://{VIRTUAL_ROOT}/../../{tmp_path.parent}/outside.txt",
    ]:
        with pytest.raises(ValueError):
            fetch.fetch(url)


def _structure_roles(node, roles: Counter, depth: int = 0) -> None:
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, list):
        for kid in node:
            _structure_roles(kid, roles, depth)
    elif isinstance(node, dict) and depth < 60:
        if "/S" in node:
            roles[str(node["/S"])] += 1
        if "/K" in node:
            _structure_roles(node["/K"], roles, depth + 1)


def test_starter_handbook_is_a_tagged_pdf(starter_site):
    """Tagged for screen readers and reflow (WeasyPrint's pdf_tags): a structure tree with
    headings, tables and lists, the language, and the outline of the chapters."""
    pdf = starter_site / "downloads/anonymity-sense-handbook.pdf"
    assert re.search(r"^Tagged:\s+yes$", pdfinfo(pdf), re.M)
    reader = PdfReader(pdf)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en" and root["/MarkInfo"]["/Marked"]
    roles: Counter = Counter()
    _structure_roles(root["/StructTreeRoot"], roles)
    kb = load.load(starter_site.parent / "content", "Anonymity Sense", languages.declared("en", ["ja", "fa"]))
    assert roles["/H1"] >= len(kb.articles) and roles["/Table"] >= 20 and roles["/Caption"] >= 20
    assert roles["/TH"] > 0 and roles["/L"] > 0 and roles["/Link"] > 0
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert [c.title for c in kb.categories] == [t for t in outline if t in {c.title for c in kb.categories}]
    assert {"Contents", "Glossary", "Index of tools"} <= set(outline)


def test_starter_handbook_pages_are_laid_out_as_a_book(starter_site):
    """The break defects of the reader review: no page holding only a related-articles
    list, no lone last entry, "p." never parted from its number, chapter openers without
    a running header."""
    pages = [lines(p) for p in pages_text(starter_site / "downloads/anonymity-sense-handbook.pdf")]
    kb = load.load(starter_site.parent / "content", "Anonymity Sense", languages.declared("en", ["ja", "fa"]))
    body = [p[1:-1] if len(p) > 2 else p for p in pages]  # without running header and page number
    assert [n + 1 for n, b in enumerate(body) if b and b[0] == "Related articles"] == []
    assert len(pages[-1]) >= 6  # more than one tool-index entry on the last page
    for n, page in enumerate(pages):
        assert not [line for line in page if line.endswith((" p.", "(see p."))], f"page {n + 1}"
    openers = [p for p in pages if any(re.fullmatch(r"CHAPTER \d+", line) for line in p)]
    assert len(openers) == len(kb.categories)
    assert all(re.fullmatch(r"CHAPTER \d+", p[0]) for p in openers)  # nothing above it
