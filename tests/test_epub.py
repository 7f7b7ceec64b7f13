"""The EPUB 3 book: checked by Debian's epubcheck, read back as XML, opened in Chromium."""

from __future__ import annotations

import io
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from urllib.parse import urldefrag

import jinja2
import pytest
from conftest import ROOT, run_kbsite, tree_digest

from kbsite.content import load
from kbsite.outputs import epub

EPUBCHECK = Path("/usr/share/java/epubcheck.jar")  # Debian's epubcheck (a jar: run it with java)
XHTML = "{http://www.w3.org/1999/xhtml}"


def _book(site: Path) -> Path:
    (path,) = (site / "downloads").glob("*.epub")
    return path


def _docs(path: Path) -> dict[str, ET.Element]:
    """Every XHTML file of the book, parsed as XML (so it must be well-formed)."""
    with zipfile.ZipFile(path) as zf:
        return {n[6:]: ET.fromstring(zf.read(n)) for n in zf.namelist() if n.endswith(".xhtml")}


@pytest.mark.skipif(not EPUBCHECK.is_file(), reason="epubcheck is installed by scripts/setup --test")
def test_epubcheck_passes_the_starter_book(starter_site):
    # One run (Java starts in about 3 s): the starter book has every kind of table, tool and term.
    done = subprocess.run(
        ["java", "-jar", str(EPUBCHECK), str(_book(starter_site))], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No errors or warnings detected." in done.stdout


def test_zip_layout(built_mini):
    path = _book(built_mini / "site")
    assert path.name == "mini-kb-en.epub"
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        assert infos[0].filename == "mimetype" and zf.read("mimetype") == b"application/epub+zip"
        assert infos[0].compress_type == zipfile.ZIP_STORED and infos[0].extra == b""
        names = [i.filename for i in infos[1:]]
        assert names == sorted(names)
        assert {"META-INF/container.xml", "OEBPS/package.opf", "OEBPS/nav.xhtml"} <= set(names)
        assert len({i.date_time for i in infos}) == 1  # one time, from SOURCE_DATE_EPOCH
        opf = zf.read("OEBPS/package.opf").decode()
    assert "<dc:language>en</dc:language>" in opf and "2026-01-01T00:00:00Z" in opf


def test_nav_by_chapter_and_article_and_every_link_resolves(built_mini):
    kb = load.load(built_mini / "content", "Mini KB")
    docs = _docs(_book(built_mini / "site"))
    toc = next(n for n in docs["nav.xhtml"].iter(f"{XHTML}nav") if n.get("id") == "toc")
    chapters = [li for li in toc.find(f"{XHTML}ol") if li.find(f"{XHTML}ol") is not None]
    assert [li.find(f"{XHTML}a").text for li in chapters] == [
        f"{n}. {c.title}" for n, c in enumerate((c for c in kb.categories if kb.in_category(c)), 1)
    ]
    listed = [a.text for li in chapters for a in li.find(f"{XHTML}ol").iter(f"{XHTML}a")]
    assert listed == [a.title for c in kb.categories for a in kb.in_category(c)]
    ids = {name: {el.get("id") for el in root.iter() if el.get("id")} for name, root in docs.items()}
    checked = 0
    for name, root in docs.items():
        for a in root.iter(f"{XHTML}a"):
            href = a.get("href", "")
            if href.startswith(("http://", "https://")):
                continue
            target, fragment = urldefrag(href)
            target = target or name
            assert target in docs, f"{name}: {href}"
            assert not fragment or fragment in ids[target], f"{name}: {href}"
            checked += 1
    assert checked > 20


def test_tables_tool_cards_glossary_and_printed_addresses(built_mini):
    kb = load.load(built_mini / "content", "Mini KB")
    docs = _docs(_book(built_mini / "site"))
    with zipfile.ZipFile(_book(built_mini / "site")) as zf:
        text = {name: zf.read(f"OEBPS/{name}").decode() for name in docs}
    chapters = "".join(v for k, v in sorted(text.items()) if k.startswith("chapter-"))
    for article in kb.articles:
        for table in article.tables.values():
            assert f"<caption>{table.caption}</caption>" in chapters
        for citation in article.tools:
            assert f'<span class="url">{citation.tool.url}</span>' in chapters
    for term in kb.glossary:
        assert f'id="term-{term.anchor}"' in text["glossary.xhtml"]
    assert all(f'id="tool-{t.id}"' in text["tools.xhtml"] for t in kb.tools.values() if kb.citing(t))
    # A link to another site in the prose is followed by its address as text, as in print.
    printed = [
        (a.get("href"), after.text)
        for root in docs.values()
        for parent in root.iter()
        for a, after in zip(list(parent), list(parent)[1:], strict=False)
        if a.tag == f"{XHTML}a" and a.get("href", "").startswith("http") and after.get("class") == "url"
    ]
    assert ("https://www.torproject.org/", "(https://www.torproject.org/)") in printed
    assert all(text == f"({href})" for href, text in printed)


def test_same_bytes_from_the_same_content_and_new_bytes_after_an_edit(built_mini, tmp_path):
    root = tmp_path / "site"
    shutil.copytree(built_mini, root)
    built = _book(root / "site").read_bytes()
    again = run_kbsite("epub", cwd=root)
    assert again.returncode == 0, again.stderr
    assert _book(root / "site").read_bytes() == built
    article = root / "content" / "devices" / "what-is-tails.md"
    article.write_text(article.read_text().replace("Tails", "Tails (edited)", 1))
    assert run_kbsite("epub", cwd=root).returncode == 0
    assert _book(root / "site").read_bytes() != built


def test_the_language_names_the_file_and_the_book(built_mini):
    kb = load.load(built_mini / "content", "Mini KB")
    loader = jinja2.FileSystemLoader(ROOT / "kbsite" / "templates")
    files = epub.book_files(kb, loader, built_mini / "content", language="de")
    assert epub.epub_path("Mini KB", "de") == "downloads/mini-kb-de.epub"
    assert b"<dc:language>de</dc:language>" in files["OEBPS/package.opf"]
    assert b'xml:lang="de"' in files["OEBPS/chapter-1.xhtml"]


def test_pages_in_chromium_from_the_unpacked_book(built_mini, tmp_path, chromium):
    folder = tmp_path / "book"
    with zipfile.ZipFile(_book(built_mini / "site")) as zf:
        zf.extractall(folder)
    before = tree_digest(folder)
    page = chromium.new_page(java_script_enabled=False, viewport={"width": 480, "height": 800})
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("file://") else None)
    page.goto((folder / "OEBPS" / "chapter-1.xhtml").as_uri())
    caption = page.locator("caption").first
    assert caption.is_visible() and caption.inner_text()
    # The table fits the narrow screen and the tool card's address is shown as text.
    assert page.evaluate("document.documentElement.scrollWidth") <= 480
    assert page.locator(".tool-card .url").first.is_visible()
    page.screenshot(path=str(tmp_path / "chapter-1.png"), full_page=True)
    page.goto((folder / "OEBPS" / "nav.xhtml").as_uri())
    page.click("text=What Is Tails?")
    page.wait_for_load_state()
    assert page.url.endswith("#art-what-is-tails")
    page.close()
    assert outside == [] and tree_digest(folder) == before


def test_article_images_go_in_without_their_metadata(mini, tmp_path):
    from PIL import Image

    exif = Image.Exif()
    exif[0x013B] = "Someone Identifiable"  # Artist
    Image.new("RGB", (40, 20), "navy").save(mini / "content/devices/photo.jpg", exif=exif)
    article = mini / "content/devices/what-is-tails.md"
    article.write_text(article.read_text() + "\n![A photo](photo.jpg)\n")
    assert b"Someone Identifiable" in (mini / "content/devices/photo.jpg").read_bytes()
    done = run_kbsite("epub", cwd=mini)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(_book(mini / "site")) as zf:
        photo = zf.read("OEBPS/devices/photo.jpg")
        opf = zf.read("OEBPS/package.opf").decode()
        chapter = next(
            zf.read(n).decode()
            for n in zf.namelist()
            if "photo.jpg" in zf.read(n).decode(errors="replace") and n.endswith(".xhtml")
        )
    assert b"Someone Identifiable" not in photo and Image.open(io.BytesIO(photo)).size == (
        40,
        20,
    )
    assert 'href="devices/photo.jpg" media-type="image/jpeg"' in opf
    assert 'src="devices/photo.jpg"' in chapter


def test_an_article_the_books_cannot_render_stops_the_build_naming_it(built_mini, tmp_path):
    root = tmp_path / "kb"
    shutil.copytree(built_mini, root)
    yml = root / "mkdocs.yml"
    yml.write_text(yml.read_text().replace("toc]", "toc, {pymdownx.snippets: {check_paths: true}}]"))
    article = root / "content/devices/what-is-tails.md"
    article.write_text(article.read_text() + '\n--8<-- "no-such-snippet.txt"\n')  # snippets raises on it
    before = tree_digest(root / "site")
    done = run_kbsite("build", cwd=root)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "Error rendering 'devices/what-is-tails.md' for the handbook and EPUB" in done.stderr
    assert "no-such-snippet.txt" in done.stderr and "previous site/ was left untouched" in done.stderr
    assert tree_digest(root / "site") == before
