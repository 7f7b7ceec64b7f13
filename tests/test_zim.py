"""The ZIM for Kiwix: packed by zimwriterfs, passed by zimcheck, read back with libzim's reader."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import run_kbsite, tree_digest

READER = Path(__file__).with_name("zim_reader.py")
pytestmark = pytest.mark.skipif(
    not shutil.which("zimwriterfs") or not shutil.which("zimcheck"),
    reason="zim-tools is installed by scripts/setup --test",
)


def _configure(root: Path, *lines: str) -> None:
    config = root / "mkdocs.yml"
    config.write_text(config.read_text() + "".join(f"{line}\n" for line in lines))


@pytest.fixture(scope="module")
def packed(tmp_path_factory) -> Path:
    """The mini site with a site_url, built and packed by `kbsite zim`; returns the ZIM."""
    from conftest import copy_site

    root = copy_site(tmp_path_factory.mktemp("zim"), "mini")
    _configure(root, "site_description: A tiny knowledge base for tests.")
    done = run_kbsite("zim", cwd=root)
    assert done.returncode == 0, done.stderr
    zim = root / "dist" / "mini-kb-en.zim"
    assert f"Wrote dist/{zim.name}" in done.stdout
    return zim


@pytest.fixture(scope="module")
def read_back(packed) -> dict:
    done = subprocess.run(
        ["/usr/bin/python3", str(READER), str(packed), "Tails"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_zimcheck_passes(packed):
    done = subprocess.run(["zimcheck", str(packed)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Overall Test Status: Pass" in done.stdout


def test_mandatory_metadata_main_page_and_full_text_index(read_back):
    meta = read_back["metadata"]
    assert meta["Name"] == "mini-kb_en"
    assert meta["Title"] == "Mini KB" and len(meta["Title"]) <= 30
    assert meta["Description"] == "A tiny knowledge base for tests." and len(meta["Description"]) <= 80
    assert meta["Language"] == "eng"
    assert meta["Creator"] == meta["Publisher"] == "Mini KB"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", meta["Date"])
    assert read_back["illustration"] == ["89504e470d0a1a0a", 48, 48]  # a 48x48 PNG
    assert read_back["main"] == "index.html"
    assert read_back["fulltext"] and "devices/what-is-tails.html" in read_back["hits"]


def test_article_html_is_there_and_internal_links_resolve_inside_the_zim(read_back):
    html, paths = read_back["html"], set(read_back["paths"])
    article = html["devices/what-is-tails.html"]
    assert "<h1" in article and "What Is Tails?" in article
    assert "kb-card" in article and "https://tails.net/" in article  # the tool card, external link as it is
    checked = 0
    for path, text in html.items():
        for ref in re.findall(r'(?:href|src)="([^"]*)"', text):
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or not parts.path:
                continue  # other sites (shown as such) and same-page anchors
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(parts.path)))
            assert target in paths, f"{path}: {ref}"
            checked += 1
    assert checked > 200


def test_no_absolute_url_to_the_site(read_back):
    # Absolute addresses are only the other sites the content links to (tools, prose links).
    content = Path(__file__).parent / "fixtures" / "mini" / "content"
    allowed = {
        u for f in sorted(content.rglob("*.*")) for u in re.findall(r"https?://[^\s)\"']+", f.read_text())
    }
    for path, text in read_back["html"].items():
        assert not re.findall(r'(?:src|<link[^>]*href)="https?:', text), path
        found = set(re.findall(r'<a [^>]*href="(https?://[^"]+)"', text))
        assert found <= allowed, f"{path}: {found - allowed}"
    assert not any(p.startswith("sitemap") for p in read_back["paths"])  # absolute URLs, no use offline


def test_bad_metadata_is_refused_before_anything_is_written(built_mini, tmp_path):
    root = tmp_path / "site"
    shutil.copytree(built_mini, root)
    before = tree_digest(root / "site")
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text().replace("site_name: Mini KB", "site_name: A Knowledge Base With A Long Name")
        + "theme:\n  name: material\n  language: tlh\n"
    )
    done = run_kbsite("zim", cwd=root)
    assert done.returncode != 0
    assert (
        "mkdocs.yml: site_name: the ZIM title 'A Knowledge Base With A Long Name' has 33 characters"
        in done.stderr
    )
    assert "zim_title: <1 to 30 characters>" in done.stderr
    assert "mkdocs.yml: site_description: the ZIM description has 0 characters" in done.stderr
    assert "mkdocs.yml: theme.language: no ISO 639-3 code known for the language 'tlh'" in done.stderr
    assert "Nothing was written." in done.stderr
    assert tree_digest(root / "site") == before and not (root / "dist").exists()


def test_the_bundle_carries_the_zim_when_asked(packed):
    import zipfile

    root = packed.parent.parent
    done = run_kbsite("bundle", "--no-build", "--zim", cwd=root)
    assert done.returncode == 0, done.stderr
    (zip_path,) = (root / "dist").glob("*.zip")
    top = zip_path.stem
    with zipfile.ZipFile(zip_path) as zf:
        assert f"{top}/mini-kb-en.zim" in zf.namelist()
        assert "  mini-kb-en.zim\n" in zf.read(f"{top}/SHA256SUMS").decode()
        assert 'href="mini-kb-en.zim"' in zf.read(f"{top}/START-HERE.html").decode()
