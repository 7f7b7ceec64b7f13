"""The USB bundle: one zip, one top folder, opened from a stick inside Tails.

dist/<site>-<date>.zip
  <site>-<date>/START-HERE.html    a plain page linking into the site (no JavaScript)
  <site>-<date>/OPEN-IN-TAILS.txt  why and how to copy the folder before opening it
  <site>-<date>/SHA256SUMS         every other file, for `sha256sum -c SHA256SUMS`
  <site>-<date>/site/...           the built site (with the handbook PDF when built)

Reproducible: entries sorted, times from SOURCE_DATE_EPOCH, fixed permissions,
fixed compression, no extra fields, so the same site gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import zipfile
from pathlib import Path

import jinja2
from mkdocs.utils import get_build_datetime

from ..content.model import KnowledgeBase, slugify

# Not under templates/: MkDocs would copy these into every site as theme files.
TEMPLATES = Path(__file__).parent.parent / "usb"
ZIP_EPOCH = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)  # the earliest time a zip can hold


def bundle_name(site_name: str) -> str:
    return f"{slugify(site_name) or 'site'}-{get_build_datetime():%Y-%m-%d}"


def bundle_files(site: Path, site_name: str, kb: KnowledgeBase) -> dict[str, bytes]:
    """Every file of the bundle by its path inside the top folder."""
    files = {
        f"site/{p.relative_to(site).as_posix()}": p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }
    handbooks = sorted(name for name in files if name.startswith("site/downloads/") and name.endswith(".pdf"))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True
    )
    context = {
        "site_name": site_name,
        "handbooks": handbooks,
        "articles": kb.articles,
        "edition": kb.edition_date(),
        "folder": bundle_name(site_name),
    }
    files["START-HERE.html"] = env.get_template("START-HERE.html").render(context).encode()
    files["OPEN-IN-TAILS.txt"] = env.get_template("OPEN-IN-TAILS.txt").render(context).encode()
    files["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    ).encode()
    return files


def _entry(name: str, is_dir: bool) -> zipfile.ZipInfo:
    when = max(get_build_datetime(), ZIP_EPOCH)
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.create_system = 3  # unix, so the permissions below are read
    info.external_attr = ((0o40755 << 16) | 0x10) if is_dir else (0o100644 << 16)
    info.compress_type = zipfile.ZIP_STORED if is_dir else zipfile.ZIP_DEFLATED
    return info


def write_zip(path: Path, top: str, files: dict[str, bytes]) -> None:
    folders = {top}
    for name in files:
        parts = name.split("/")[:-1]
        folders.update(f"{top}/{'/'.join(parts[:i])}" for i in range(1, len(parts) + 1))
    entries = [(f"{d}/", None) for d in folders] + [(f"{top}/{n}", data) for n, data in files.items()]
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, data in sorted(entries, key=lambda e: e[0]):
            zf.writestr(_entry(name, data is None), data or b"", compresslevel=9)
    os.chmod(tmp, 0o644)
    tmp.replace(path)


def write_bundle(site: Path, dist: Path, site_name: str, kb: KnowledgeBase) -> Path:
    """Write dist/<name>.zip and dist/<name>.zip.sha256; return the zip's path."""
    name = bundle_name(site_name)
    dist.mkdir(parents=True, exist_ok=True)
    zip_path = dist / f"{name}.zip"
    write_zip(zip_path, name, bundle_files(site, site_name, kb))
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    (dist / f"{name}.zip.sha256").write_text(f"{digest}  {zip_path.name}\n", encoding="utf-8")
    return zip_path
