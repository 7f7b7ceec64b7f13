"""The USB bundle: checksums verify with sha256sum, START-HERE.html opens the site from file://."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def unpacked(canary_build, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("usb")
    with zipfile.ZipFile(canary_build.zip) as zf:
        zf.extractall(dest)
    (top,) = dest.iterdir()
    return top


def test_zip_layout_and_metadata(canary_build):
    with zipfile.ZipFile(canary_build.zip) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    top = canary_build.zip.stem + "/"
    assert names == sorted(names) and names[0] == top
    assert all(n.startswith(top) for n in names)
    for required in (
        "START-HERE.html",
        "OPEN-IN-TAILS.txt",
        "SHA256SUMS",
        "site/index.html",
        "site/network/night-street.jpg",
    ):
        assert top + required in names
    assert [n for n in names if n.endswith(("START-HERE.html", "OPEN-IN-TAILS.txt"))] == [
        top + "OPEN-IN-TAILS.txt",
        top + "START-HERE.html",
    ]  # once, not copied into the site too
    for info in infos:
        mode = info.external_attr >> 16
        assert mode == (0o40755 if info.is_dir() else 0o100644), info.filename
        assert info.extra == b"" and info.comment == b"" and info.create_system == 3


def test_checksums_cover_every_file_and_verify(unpacked):
    listed = sorted(line.split("  ", 1)[1] for line in (unpacked / "SHA256SUMS").read_text().splitlines())
    on_disk = sorted(
        p.relative_to(unpacked).as_posix()
        for p in unpacked.rglob("*")
        if p.is_file() and p.name != "SHA256SUMS"
    )
    assert listed == on_disk
    ok = subprocess.run(
        ["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=unpacked, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.count(": OK") == len(on_disk)


def test_checksums_catch_a_changed_file(unpacked, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(unpacked, copy)
    with open(copy / "site" / "index.html", "ab") as f:
        f.write(b"<!-- changed -->")
    bad = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=copy, capture_output=True, text=True)
    assert bad.returncode != 0 and "site/index.html: FAILED" in bad.stdout


def test_tails_instructions(unpacked):
    text = (unpacked / "OPEN-IN-TAILS.txt").read_text(encoding="utf-8")
    assert text.isascii()
    for needed in (
        "~/Tor Browser",
        "~/Persistent/Tor Browser",
        "AppArmor",
        "START-HERE.html",
        "sha256sum -c SHA256SUMS",
        unpacked.name,
    ):
        assert needed in text


def test_start_here_opens_an_article_from_file_url(unpacked, tmp_path, chromium):
    start = unpacked / "START-HERE.html"
    assert "<script" not in start.read_text(encoding="utf-8")
    # The session's Chromium (tests/browsers.py): one sync Playwright at a time.
    page = chromium.new_page(java_script_enabled=False)
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("file://") else None)
    page.goto(start.as_uri())
    page.screenshot(path=str(tmp_path / "start-here.png"), full_page=True)
    page.click("text=Open the knowledge base")
    page.wait_for_load_state()
    assert page.url == (unpacked / "site" / "index.html").as_uri()
    page.click("a[href$='what-is-tails.html']>> nth=0")
    page.wait_for_load_state()
    assert page.url.endswith("/site/devices/what-is-tails.html")
    assert page.locator("h1").first.inner_text() == "What Is Tails?"
    page.screenshot(path=str(tmp_path / "article.png"))
    page.close()
    assert outside == []


def test_handbook_is_linked_from_start_here_when_built(tmp_path):
    """Once the handbook builder writes site/downloads/*.pdf, START-HERE links it."""
    import shutil

    from hosting_build import MINI

    from kbsite.content import load
    from kbsite.outputs.bundle import bundle_files

    kb = load.load(MINI / "content", "Mini KB")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>home</p>")
    without = bundle_files(site, "Mini KB", kb)["START-HERE.html"].decode()
    assert "downloads/" not in without
    (site / "downloads").mkdir()
    shutil.copy(MINI / "mkdocs.yml", site / "downloads" / "handbook.pdf")  # any bytes will do
    files = bundle_files(site, "Mini KB", kb)
    assert 'href="site/downloads/handbook.pdf"' in files["START-HERE.html"].decode()
    assert "  site/downloads/handbook.pdf\n" in files["SHA256SUMS"].decode()


def test_start_here_gives_each_language_its_own_downloads(tmp_path):
    """Each language's section lists the files written for it, by their whole names: a site
    name holding a language code (`guide-de-...` with a German translation) changes nothing."""
    from hosting_build import MINI

    from kbsite.content import load
    from kbsite.content.languages import declared
    from kbsite.outputs.bundle import bundle_files

    site_name, slug = "Guide de la vie privée", "guide-de-la-vie-privee"
    kb = load.load(MINI / "content", site_name, declared("fr", ["de"]))
    site = tmp_path / "site"
    (site / "downloads").mkdir(parents=True)
    (site / "index.html").write_text("<p>accueil</p>")
    own = {
        "fr": [f"site/downloads/{slug}-handbook.pdf", f"site/downloads/{slug}-fr.epub", f"{slug}-fr.zim"],
        "de": [f"site/downloads/{slug}-de-handbook.pdf", f"site/downloads/{slug}-de.epub", f"{slug}-de.zim"],
    }
    for name in own["fr"][:2] + own["de"][:2]:
        (site / name.removeprefix("site/")).write_bytes(b"any bytes")
    extra = {own["fr"][2]: b"ZIM", own["de"][2]: b"ZIM"}
    start = bundle_files(site, site_name, kb, extra=extra)["START-HERE.html"].decode()
    sections = dict(zip(("fr", "de"), start.split('<section class="language"')[1:], strict=True))
    for lang, section in sections.items():
        linked = sorted(re.findall(r'href="([^"]+\.(?:pdf|epub|zim))"', section))
        assert linked == sorted(own[lang]), lang
