"""Two builds of the same content in different places give the same bytes; none names its builder."""

from __future__ import annotations

import gzip
import re
import subprocess
import zipfile
from pathlib import Path

from pypdf import PdfReader


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_site_handbook_and_zip_are_byte_identical(canary_build, second_build):
    a, b = tree(canary_build.site), tree(second_build.site)
    assert sorted(a) == sorted(b)
    differing = [name for name in a if a[name] != b[name]]
    assert differing == []
    assert any(name.endswith(".jpg") for name in a)
    handbooks = [name for name in a if name.endswith(".pdf")]  # present once the PDF builder is merged
    assert all(a[n] == b[n] for n in handbooks)
    assert canary_build.zip.name == second_build.zip.name
    assert canary_build.zip.read_bytes() == second_build.zip.read_bytes()


def test_build_date_defaults_to_the_newest_article(canary_build):
    # SOURCE_DATE_EPOCH was unset; the newest `updated:` of the mini site is 2026-10-02.
    assert canary_build.zip.name == "mini-kb-2026-10-02.zip"
    with zipfile.ZipFile(canary_build.zip) as zf:
        assert {info.date_time for info in zf.infolist()} == {(2026, 10, 2, 0, 0, 0)}


def test_permissions_do_not_follow_the_umask(canary_build):
    # Built with umask 077: still readable by the web server.
    for path in [canary_build.site, *canary_build.site.rglob("*")]:
        assert path.stat().st_mode & 0o777 == (0o755 if path.is_dir() else 0o644), path


def _texts(path: Path, data: bytes) -> list[bytes]:
    """The bytes of a file plus what compression or PDF encoding hides."""
    out = [data]
    if path.suffix == ".gz":
        out.append(gzip.decompress(data))
    if path.suffix == ".pdf":
        reader = PdfReader(path)
        out.append(repr(reader.metadata).encode())
        out.append(subprocess.run(["pdftotext", str(path), "-"], capture_output=True).stdout)
    return out


def test_no_output_names_the_builder(canary_build, tmp_path):
    with zipfile.ZipFile(canary_build.zip) as zf:
        zf.extractall(tmp_path / "unzipped")
        zip_meta = [zf.comment] + [i.filename.encode() + i.extra + i.comment for i in zf.infolist()]
    files = [
        *canary_build.site.rglob("*"),
        *(tmp_path / "unzipped").rglob("*"),
        canary_build.zip,
        canary_build.zip.with_name(canary_build.zip.name + ".sha256"),
    ]
    needles = [c.encode() for c in canary_build.canaries]
    assert len(needles) >= 4  # the build folder, HOME, the user name, the host name where settable
    leaks = []
    for path in (p for p in files if p.is_file()):
        for text in _texts(path, path.read_bytes()):
            leaks += [(str(path), n.decode()) for n in needles if n.lower() in text.lower()]
    leaks += [("zip metadata", n.decode()) for n in needles for m in zip_meta if n in m]
    assert leaks == []


def test_no_absolute_url_without_site_url(canary_build):
    sitemap = (canary_build.site / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>" not in sitemap and "http" not in sitemap.replace(
        "http://www.sitemaps.org/schemas/sitemap/0.9", ""
    )
    for page in canary_build.site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert 'rel="canonical"' not in html, page
        assert not re.search(r'(href|src)="(https?:)?//[^"]*(localhost|127\.0\.0\.1)', html), page


def test_starter_site_names_no_builder(starter_site):
    """The shipped content, built by the shared fixture: no build folder or HOME in any file."""
    import getpass
    import os
    import socket

    needles = [str(starter_site.parent).encode(), os.path.expanduser("~").encode() + b"/"]
    # The real user and host names only when long enough not to be ordinary words ("root", "vm").
    needles += [n.encode() for n in (getpass.getuser(), socket.gethostname()) if len(n) >= 6]
    leaks = [
        (str(p), n)
        for p in starter_site.rglob("*")
        if p.is_file()
        for text in _texts(p, p.read_bytes())
        for n in needles
        if n in text
    ]
    assert leaks == []
    assert any(starter_site.rglob("*.html"))
