"""The USB bundle: one zip, one top folder, opened from a stick inside Tails.

dist/<site>-<date>.zip
  <site>-<date>/START-HERE.html    a plain page linking into the site (no JavaScript)
  <site>-<date>/OPEN-IN-TAILS.txt  why and how to copy the folder before opening it
  <site>-<date>/SHA256SUMS         every other file, for `sha256sum -c SHA256SUMS`
  <site>-<date>/SHA256SUMS.asc     with --sign: gpg's detached signature of SHA256SUMS
  <site>-<date>/SHA256SUMS.minisig with --minisign: minisign's signature of SHA256SUMS
  <site>-<date>/PUBLISHER-KEY.asc  with --sign: the publisher's public key, to import
  <site>-<date>/site/...           the built site (with the handbook PDF when built)

Reproducible: entries sorted, times from SOURCE_DATE_EPOCH, fixed permissions,
fixed compression, no extra fields, so the same site gives the same bytes. The signatures
are the only files that differ between two signed bundles: they sign the same SHA256SUMS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup
from mkdocs.utils import get_build_datetime

from ..content import languages
from ..content.languages import Language
from ..content.model import KnowledgeBase, slugify
from ..site import i18n
from .epub import epub_path
from .handbook import handbook_path
from .names import download_name
from .zim import show_sizes

# Not under templates/: MkDocs would copy these into every site as theme files.
TEMPLATES = Path(__file__).parent.parent / "usb"
ZIP_EPOCH = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)  # the earliest time a zip can hold


@dataclass(frozen=True)
class Trust:
    """What a reader needs to check the copy: the printed fingerprint and the signatures."""

    fingerprint: str = ""  # formatted as gpg prints it; "" when mkdocs.yml gives none
    minisign_key: str = ""
    public_key: bytes = b""  # PUBLISHER-KEY.asc, listed in SHA256SUMS
    # SHA256SUMS bytes -> signature files beside it (not listed in SHA256SUMS)
    signers: list[Callable[[bytes], dict[str, bytes]]] = field(default_factory=list)


def bundle_name(site_name: str) -> str:
    return f"{slugify(site_name) or 'site'}-{get_build_datetime():%Y-%m-%d}"


def bundle_files(
    site: Path,
    site_name: str,
    kb: KnowledgeBase,
    trust: Trust | None = None,
    extra: dict[str, bytes] | None = None,
) -> dict[str, bytes]:
    """Every file of the bundle by its path inside the top folder; `extra` beside START-HERE."""
    files = {
        f"site/{p.relative_to(site).as_posix()}": p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }
    files.update(extra or {})
    # The downloads pages give the size of each ZIM this bundle carries, and of no other.
    zims = {name: len(data) for name, data in files.items() if name.endswith(".zim")}
    for name in [
        n for n in files if n == "site/downloads.html" or re.fullmatch(r"site/[^/]+/downloads\.html", n)
    ]:
        files[name] = show_sizes(files[name].decode(), zims).encode()
    trust = trust or Trust()
    handbooks = sorted(name for name in files if name.startswith("site/downloads/") and name.endswith(".pdf"))
    books = sorted(name for name in files if name.startswith("site/downloads/") and name.endswith(".epub"))
    context = {
        "site_name": site_name,
        "edition": kb.edition_date(),
        "folder": bundle_name(site_name),
        "fingerprint": trust.fingerprint,
        "minisign_key": trust.minisign_key,
        "signed": bool(trust.signers),
    }
    if trust.public_key:
        files["PUBLISHER-KEY.asc"] = trust.public_key
    # One START-HERE for every language (the one file a reader opens first must show them
    # all), and one OPEN-IN-TAILS per language (plain text cannot mark a paragraph's
    # language or direction, so mixing Persian and English lines in one file reads badly).
    langs = kb.languages or (languages.language(i18n.code(kb)),)
    sections = []
    for lang in langs:
        env = _env(lang.code)
        where = "" if lang == langs[0] else f"{lang.code}/"
        instructions = "OPEN-IN-TAILS.txt" if lang == langs[0] else f"OPEN-IN-TAILS.{lang.code}.txt"
        files[instructions] = env.get_template("OPEN-IN-TAILS.txt").render(context).encode()
        html = env.get_template("start-section.html").render(
            context,
            level=2 if len(langs) == 1 else 3,
            home=f"site/{where}index.html",
            az=f"site/{where}a-z.html",
            handbooks=_of(lang.code, langs, handbooks, site_name),
            books=_of(lang.code, langs, books, site_name),
            zims=_of(lang.code, langs, sorted(n for n in files if n.endswith(".zim")), site_name),
            downloads_page=_page(files, f"site/{where}downloads.html"),
            verify_link=_link(files, f"site/{where}verify.html", lang.code, "Verify this copy"),
            instructions_link=Markup('<a href="{0}">{0}</a>').format(instructions),
            folder_code=Markup("<code>{}</code>").format(context["folder"]),
            fingerprint_code=Markup('<code class="fpr" dir="ltr">{}</code>').format(trust.fingerprint),
        )
        sections.append({"language": lang, "html": Markup(html)})
    first = _env(langs[0].code)
    files["START-HERE.html"] = (
        first.get_template("START-HERE.html")
        .render(
            site_name=site_name,
            language=langs[0],
            sections=sections,
            title=i18n.translate(langs[0].code, "Start here: %(site)s") % {"site": site_name},
            languages_label=i18n.translate(langs[0].code, "Languages"),
        )
        .encode()
    )
    files["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    ).encode()
    for sign in trust.signers:
        files.update(sign(files["SHA256SUMS"]))
    return files


def _env(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True
    )
    i18n.install(env, lang)
    return env


def _of(lang: str, langs: tuple[Language, ...], names: list[str], site_name: str) -> list[str]:
    """The downloads of one language, by the whole names their writers give a translation's
    (a part of a name cannot say: `guide-de-...` may be French); the rest go to the original."""
    if lang != langs[0].code:
        return [n for n in names if n in _translated(site_name, lang)]
    others = set().union(*(_translated(site_name, x.code) for x in langs[1:]))
    return [n for n in names if n not in others]


def _translated(site_name: str, lang: str) -> set[str]:
    """Where the bundle holds a translation's handbook, EPUB and ZIM."""
    return {
        f"site/{handbook_path(site_name, lang)}",
        f"site/{epub_path(site_name, lang)}",
        download_name(site_name, lang, "zim"),
    }


def _page(files: dict[str, bytes], name: str) -> str:
    return name if name in files else ""


def _link(files: dict[str, bytes], name: str, lang: str, words: str) -> Markup:
    if name not in files:
        return Markup("")
    return Markup('<a href="{}">{}</a>').format(name, i18n.translate(lang, words))


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


def write_bundle(
    site: Path,
    dist: Path,
    site_name: str,
    kb: KnowledgeBase,
    trust: Trust | None = None,
    extra: dict[str, bytes] | None = None,
) -> Path:
    """Write dist/<name>.zip and dist/<name>.zip.sha256; return the zip's path."""
    name = bundle_name(site_name)
    files = bundle_files(site, site_name, kb, trust, extra)  # signs first: a failure writes nothing
    dist.mkdir(parents=True, exist_ok=True)
    zip_path = dist / f"{name}.zip"
    write_zip(zip_path, name, files)
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    (dist / f"{name}.zip.sha256").write_text(f"{digest}  {zip_path.name}\n", encoding="utf-8")
    return zip_path
