"""Session fixtures for the hosting tests (imported by conftest.py).

A site built the way a careless builder would: canary paths, names and settings.

The mini fixture plus a JPEG carrying GPS coordinates and an author, built and
bundled once per session from a folder, HOME, user and host name that are easy
to find in the output (`CANARIES`), with an unusual TZ, LANG and umask. A second
build of the same content elsewhere, with other settings, is compared byte for byte.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import once_per_run
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini"

CANARY_USER = "kbcanaryuser"
CANARY_HOST = "kbcanary-host"
PHOTO = "network/night-street.jpg"
GPS_IFD = 0x8825
ARTIST, GPS_LATITUDE = 0x013B, 2


def photo_with_metadata() -> bytes:
    """A JPEG with GPS coordinates, an author, a comment and an XMP packet."""
    im = Image.new("RGB", (64, 48), (30, 40, 90))
    exif = Image.Exif()
    exif[ARTIST] = "Jane Canary-Author"
    exif.get_ifd(GPS_IFD).update({1: "N", GPS_LATITUDE: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 1.0)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Jane Canary-Author</dc:creator></x:xmpmeta>'
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif, comment=b"shot by Jane Canary-Author", xmp=xmp, quality=90)
    return buf.getvalue()


def make_source(parent: Path) -> Path:
    """The mini site plus a photo that one article shows."""
    root = parent / "mini"
    shutil.copytree(MINI, root)
    (root / "content" / PHOTO).write_bytes(photo_with_metadata())
    article = root / "content" / "network" / "public-wifi.md"
    article.write_text(
        article.read_text(encoding="utf-8") + "\n![A street at night](night-street.jpg)\n", encoding="utf-8"
    )
    return root


def build(
    root: Path, home: Path, *, tz: str, lang: str, umask: str, hostname: str | None, user: str
) -> subprocess.CompletedProcess:
    """`kbsite bundle` (build + zip) in a clean environment; SOURCE_DATE_EPOCH unset on purpose."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "USER": user,
        "LOGNAME": user,
        "TZ": tz,
        "LANG": lang,
        "LC_ALL": lang,
        "PYTHONPATH": str(ROOT),
        "NO_MKDOCS_2_WARNING": "1",
        "TMPDIR": str(home),
    }
    cmd = f'umask {umask} && exec "$@"'
    if hostname:
        cmd = f"hostname {hostname} && {cmd}"
    argv = ["sh", "-c", cmd, "sh", sys.executable, "-m", "kbsite.cli", "bundle"]
    if hostname:
        argv = ["unshare", "--uts", *argv]
    return subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True)


def can_set_hostname() -> bool:
    return (
        subprocess.run(["unshare", "--uts", "hostname", CANARY_HOST], capture_output=True).returncode == 0
        if shutil.which("unshare")
        else False
    )


@dataclass
class Built:
    root: Path  # the source folder (site/ and dist/ inside)
    home: Path
    canaries: list[str]

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def zip(self) -> Path:
        (path,) = sorted((self.root / "dist").glob("*.zip"))
        return path


@pytest.fixture(scope="session")
def canary_build(tmp_path_factory) -> Built:
    return once_per_run(tmp_path_factory, "kbcanary-buildpath", _canary_build)


def _canary_build(base: Path) -> Built:
    root = make_source(base)
    home = base / "kbcanary-home"
    host = CANARY_HOST if can_set_hostname() else None
    result = build(
        root, home, tz="Pacific/Kiritimati", lang="de_DE.UTF-8", umask="077", hostname=host, user=CANARY_USER
    )
    assert result.returncode == 0, result.stderr
    canaries = ["kbcanary", str(base), str(home), CANARY_USER] + ([CANARY_HOST] if host else [])
    return Built(root, home, canaries)


@pytest.fixture(scope="session")
def second_build(tmp_path_factory) -> Built:
    return once_per_run(tmp_path_factory, "elsewhere", _second_build)


def _second_build(folder: Path) -> Built:
    base = folder / "deeper" / "folder"
    base.mkdir(parents=True)
    root = make_source(base)
    home = base / "another-home"
    result = build(
        root, home, tz="America/Los_Angeles", lang="C.UTF-8", umask="022", hostname=None, user="someone-else"
    )
    assert result.returncode == 0, result.stderr
    return Built(root, home, [str(base), str(home)])
