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
from conftest import kbsite_option, run_kbsite, tree_digest

READER = Path(__file__).with_name("zim_reader.py")
pytestmark = pytest.mark.skipif(
    not shutil.which("zimwriterfs") or not shutil.which("zimcheck"),
    reason="zim-tools is installed by scripts/setup --test",
)


def _configure(root: Path, *lines: str) -> None:
    config = root / "mkdocs.yml"
    config.write_text(config.read_text() + "".join(f"{line}\n" for line in lines))


LANGUAGES = {"en": "eng", "ja": "jpn", "fa": "fas"}
UNIT = {"en": "MB", "ja": "MB", "fa": "مگابایت"}  # the page's own word


@pytest.fixture(scope="module")
def packed(tmp_path_factory) -> dict:
    """The mini site in three languages: built, then packed twice by `kbsite zim --no-build` (the
    second time from a site whose downloads pages hold the ZIMs' sizes). Returns the paths and
    the site's files after the build and after packing."""
    from conftest import copy_site
    from test_translations import FA_TOOLS, JA, with_languages, write

    root = copy_site(tmp_path_factory.mktemp("zim"), "mini")
    with_languages(root, "ja", "fa")
    kbsite_option(root, "handbook: false")  # not what this tests; the EPUB is listed too
    # Translated from an older original: its page links to the original (another language).
    write(root, "devices/what-is-tails.ja.md", JA.replace("translates: 2026-10-02", "translates: 2026-09-01"))
    write(root, "_data/tools.fa.yml", FA_TOOLS)
    _configure(root, "site_description: A tiny knowledge base for tests.")
    done = run_kbsite("build", cwd=root)
    assert done.returncode == 0, done.stderr
    built = _files(root / "site")
    zims = {lang: root / "dist" / f"mini-kb-{lang}.zim" for lang in LANGUAGES}
    sizes = []
    for _ in range(2):
        done = run_kbsite("zim", "--no-build", cwd=root)
        assert done.returncode == 0, done.stderr
        sizes.append({lang: zim.stat().st_size for lang, zim in zims.items()})
    # Packed from the filled pages the second time, the same content: the same sizes (the pages
    # give them), though not the same bytes (zimwriterfs's random UUID).
    assert sizes[0] == sizes[1]
    for zim in zims.values():
        assert f"Wrote dist/{zim.name}" in done.stdout
    return {"root": root, "zims": zims, "built": built, "packed": _files(root / "site")}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _read(zim: Path, word: str) -> dict:
    done = subprocess.run(["/usr/bin/python3", str(READER), str(zim), word], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # The JSON is the last line: libzim's search may print a note first ("No stemming for language 'ja'").
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def read_back(packed) -> dict:
    return _read(packed["zims"]["en"], "Tails")


@pytest.fixture(scope="module")
def read_back_ja(packed) -> dict:
    return _read(packed["zims"]["ja"], "Tails")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_zimcheck_passes(packed, lang):
    done = subprocess.run(["zimcheck", str(packed["zims"][lang])], capture_output=True, text=True)
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


def _internal_links(read_back: dict) -> int:
    """Every relative link of every page resolves inside the ZIM; returns how many were checked."""
    html, paths = read_back["html"], set(read_back["paths"])
    checked = 0
    for path, text in html.items():
        for ref in re.findall(r'(?:href|src)="([^"]*)"', text):
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or not parts.path:
                continue  # other sites (shown as such) and same-page anchors
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(parts.path)))
            assert target in paths, f"{path}: {ref}"
            checked += 1
    return checked


def test_article_html_is_there_and_internal_links_resolve_inside_the_zim(read_back):
    article = read_back["html"]["devices/what-is-tails.html"]
    assert "<h1" in article and "What Is Tails?" in article
    assert "kb-card" in article and "https://tails.net/" in article  # the tool card, external link as it is
    assert _internal_links(read_back) > 200


def test_each_language_is_its_own_zim(read_back, read_back_ja, packed):
    # The original's ZIM holds no translation; each holds no language bar (the others are other ZIMs).
    assert not any(p.split("/")[0] in ("ja", "fa") for p in read_back["paths"])
    for back in (read_back, read_back_ja):
        assert not any("kb-languages" in text for text in back["html"].values())
    assert 'class="kb-languages"' in (packed["root"] / "site" / "index.html").read_text()  # the site keeps it
    article = read_back_ja["html"]["devices/what-is-tails.html"]
    assert '<html lang="ja"' in article and "Tails とは" in article and "Tails はすべての接続を" in article
    assert "devices/what-is-tails.html" in read_back_ja["hits"]
    # The outdated notice stays, its link to the English original (outside this ZIM) goes.
    site_page = (packed["root"] / "site" / "ja" / "devices" / "what-is-tails.html").read_text()
    assert 'href="../../devices/what-is-tails.html" hreflang="en">原文を読む</a>' in site_page
    assert "kb-notice--outdated" in article and "原文を読む" not in article
    assert _internal_links(read_back_ja) > 200
    meta = read_back_ja["metadata"]
    assert meta["Language"] == "jpn" and meta["Name"] == "mini-kb_ja" and meta["Title"] == "Mini KB"
    # Its description in Japanese, from kbsite's catalog (the site gave only an English one).
    assert meta["Description"] == "Mini KB オフライン版: 全ガイドと全文検索"
    fa = _read(packed["zims"]["fa"], "Tails")["metadata"]
    assert fa["Language"] == "fas" and fa["Description"].startswith("Mini KB، آفلاین")


def test_downloads_pages_give_each_zims_size_and_the_zim_does_not(packed, read_back, read_back_ja):
    built, after = packed["built"], packed["packed"]
    # The build is untouched but for the ZIM sizes on the downloads pages.
    assert sorted(built) == sorted(after)
    changed = sorted(name for name in built if built[name] != after[name])
    assert changed == ["downloads.html", "fa/downloads.html", "ja/downloads.html"]
    for lang, folder in (("en", ""), ("ja", "ja/"), ("fa", "fa/")):
        span = f'<span class="kb-muted kb-zim-size" data-zim="mini-kb-{lang}.zim">'
        assert span + "</span>" in built[f"{folder}downloads.html"].decode()  # a build cannot know it
        page = after[f"{folder}downloads.html"].decode()
        (shown,) = re.findall(re.escape(span) + rf"— ([0-9.]+) {UNIT[lang]}</span>", page)
        assert abs(float(shown) - packed["zims"][lang].stat().st_size / 1e6) < 0.006, (lang, shown)
        assert page.replace(f"— {shown} {UNIT[lang]}", "") == built[f"{folder}downloads.html"].decode()
    # The ZIMs were packed from the filled pages, yet hold the page as built: no size of themselves.
    assert read_back["html"]["downloads.html"].count('data-zim="mini-kb-en.zim"></span>') == 1
    assert read_back_ja["html"]["downloads.html"].count('data-zim="mini-kb-ja.zim"></span>') == 1


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


def _refused(built_mini: Path, tmp_path: Path, edit) -> str:
    """`kbsite zim` in a copy of the built mini site whose mkdocs.yml `edit` changed: it fails,
    says nothing was written, and leaves site/ as it was and no dist/; returns its stderr."""
    root = tmp_path / "site"
    shutil.copytree(built_mini, root)
    before = tree_digest(root / "site")
    edit(root)
    done = run_kbsite("zim", cwd=root)
    assert done.returncode != 0
    assert "Nothing was written." in done.stderr
    assert tree_digest(root / "site") == before and not (root / "dist").exists()
    return done.stderr


def test_bad_metadata_is_refused_before_anything_is_written(built_mini, tmp_path):
    def edit(root: Path) -> None:
        config = root / "mkdocs.yml"
        config.write_text(
            config.read_text().replace("site_name: Mini KB", "site_name: A Knowledge Base With A Long Name")
            + "theme:\n  name: material\n  language: tlh\n"
        )

    stderr = _refused(built_mini, tmp_path, edit)
    assert (
        "mkdocs.yml: site_name: the ZIM title 'A Knowledge Base With A Long Name' has 33 characters" in stderr
    )
    assert "zim_title: <1 to 30 characters>" in stderr
    assert "mkdocs.yml: site_description: the ZIM description has 0 characters" in stderr
    assert "mkdocs.yml: theme.language: no ISO 639-3 code known for the language 'tlh'" in stderr


def test_the_bundle_carries_the_zims_when_asked(packed):
    import zipfile

    root = packed["root"]
    done = run_kbsite("bundle", "--no-build", "--zim", cwd=root)
    assert done.returncode == 0, done.stderr
    (zip_path,) = (root / "dist").glob("*.zip")
    top = zip_path.stem
    with zipfile.ZipFile(zip_path) as zf:
        sums = zf.read(f"{top}/SHA256SUMS").decode()
        for lang, folder in (("en", ""), ("ja", "ja/"), ("fa", "fa/")):
            name = f"mini-kb-{lang}.zim"
            data = zf.read(f"{top}/{name}")
            assert data[:4] == b"ZIM\x04"  # ZIM's magic number
            assert f"  {name}\n" in sums
            assert f'href="{name}"' in zf.read(f"{top}/START-HERE.html").decode()
            page = zf.read(f"{top}/site/{folder}downloads.html").decode()
            assert re.search(f'data-zim="{name}">— [0-9.]+ {UNIT[lang]}</span>', page)
    # Without --zim, the bundle's pages give no ZIM size: it carries none.
    zip_path.unlink()
    done = run_kbsite("bundle", "--no-build", cwd=root)
    assert done.returncode == 0, done.stderr
    (zip_path,) = (root / "dist").glob("*.zip")
    with zipfile.ZipFile(zip_path) as zf:
        assert not any(n.endswith(".zim") for n in zf.namelist())
        page = zf.read(f"{top}/site/downloads.html").decode()
        assert 'data-zim="mini-kb-en.zim"></span>' in page


def test_a_translation_without_an_iso_639_3_code_is_refused(built_mini, tmp_path):
    def edit(root: Path) -> None:
        kbsite_option(root, "languages: [{code: tlh, name: tlhIngan Hol}]")
        _configure(root, "site_description: A tiny knowledge base for tests.")

    stderr = _refused(built_mini, tmp_path, edit)
    assert "mkdocs.yml: plugins.kbsite.languages: no ISO 639-3 code known for the language 'tlh'" in stderr
    assert "extend ISO_639_3 in kbsite/outputs/zim.py" in stderr
