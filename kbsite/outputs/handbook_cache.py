"""The handbook cache: the last PDFs, reused while nothing they are made from changed.

Laying the book out is most of a build's time (minutes at 300 articles), and most
builds change nothing it prints. The key is a digest of every input of the PDF:
each file under content/ (articles, data files, images), the site's theme
overrides, kbsite's own files (code, templates, print CSS), the version of every
installed Python distribution (WeasyPrint, pydyf, Markdown...), the fonts
fontconfig finds and whether HarfBuzz's subsetter is there, the configuration the
book reads and SOURCE_DATE_EPOCH. Hashing all of it takes milliseconds.

Entries live in `.cache/kbsite/handbook/` beside mkdocs.yml, outside site/. An
entry is written only once its PDF is complete, so a failed layout leaves the
previous entries as they were.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from ..content import freshness
from . import handbook
from .bookparts import PartStore
from .handbook import FONTS, Handbook

CACHE_DIR = Path(".cache") / "kbsite"  # beside mkdocs.yml; gitignored
KEEP = 8  # entries kept: the current content (one book per language) and a few recent versions
PACKAGE = Path(__file__).resolve().parent.parent  # kbsite/


def cache_dir(config) -> Path:
    """The handbook's cache folder for an MkDocs config."""
    base = Path(config.config_file_path).parent if config.config_file_path else Path(config.docs_dir).parent
    return base / CACHE_DIR / "handbook"


def _files(root: Path) -> Iterable[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _hash_tree(h, label: str, root: Path, articles: bool = True) -> None:
    h.update(f"\0tree {label}\0".encode())
    for path in _files(root):
        if not articles and path.suffix == ".md":
            continue
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())


def font_files() -> list[str]:
    """The files fontconfig gives for the handbook's fonts (what WeasyPrint will embed)."""
    if not shutil.which("fc-list"):
        return []
    found: set[str] = set()
    for family in FONTS:
        out = subprocess.run(
            ["fc-list", "--format", "%{file}\n", f":family={family}"], capture_output=True, text=True
        ).stdout
        found.update(line for line in out.splitlines() if line)
    return sorted(found)


def _config_part(config, glossary_links: bool) -> str:
    extensions = [e if isinstance(e, str) else type(e).__qualname__ for e in config.markdown_extensions]
    plugin = config.plugins.get("kbsite")
    review = plugin.config.review_every if plugin is not None else None
    return json.dumps(
        {
            "site_name": config.site_name,
            "site_description": config.site_description or "",
            "language": config.theme.get("language") or "en",
            "markdown_extensions": extensions,
            "mdx_configs": config.mdx_configs,
            "glossary_links": glossary_links,
            "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "").strip(),
            # Which articles the book calls overdue depends on the build's date.
            "review_every": str(review or ""),
            "reviewed_on": freshness.today().isoformat() if review else "",
        },
        sort_keys=True,
        default=_stable,
    )


def _stable(value) -> str:
    """A config value as the same text in every process (a function's repr holds its address)."""
    name = getattr(value, "__qualname__", None)
    return f"{getattr(value, '__module__', '')}.{name}" if name else repr(value)


def digest(config, glossary_links: bool = True, articles: bool = True) -> str:
    """The cache key: a digest of everything the handbook's bytes depend on.

    `articles=False` leaves the articles (Markdown) out: the salt of the parts' store,
    whose keys hold each part's HTML.
    """
    h = hashlib.sha256(b"kbsite handbook cache 1\0")
    h.update(_config_part(config, glossary_links).encode())
    _hash_tree(h, "content", Path(config.docs_dir), articles)
    if config.theme.custom_dir:
        _hash_tree(h, "overrides", Path(config.theme.custom_dir))
    _hash_tree(h, "kbsite", PACKAGE)
    # A set: a distribution seen twice on sys.path (an egg-info in the working folder) counts once.
    versions = sorted(
        {f"{d.metadata['Name'].lower()}=={d.version}" for d in importlib.metadata.distributions()}
    )
    h.update("\0dists\0".join(versions).encode())
    h.update(_fonts_digest())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _fonts_digest() -> bytes:
    """The fonts' part of the key, read once per process (each language's book and the
    parts' store ask for a key: fc-list and the DejaVu files do not change meanwhile)."""
    h = hashlib.sha256()
    # Other scripts fall back to any installed font (Noto CJK for Japanese): their list counts too.
    if shutil.which("fc-list"):
        listed = subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True, text=True).stdout
        for name in sorted(set(listed.splitlines())):
            with contextlib.suppress(OSError):
                h.update(f"\0fallback {name} {Path(name).stat().st_size}".encode())
    for font in font_files():
        h.update(f"\0font {font}\0".encode())
        h.update(hashlib.sha256(Path(font).read_bytes()).digest())
    # WeasyPrint subsets fonts with HarfBuzz when it can, else with fontTools: other bytes.
    h.update(f"\0hb-subset {bool(ctypes.util.find_library('harfbuzz-subset'))}".encode())
    return h.digest()


class HandbookCache:
    """PDFs by digest: `<key>.pdf` and `<key>.json` (its path in site/ and page count)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _entry(self, key: str) -> Handbook | None:
        meta, pdf = self.folder / f"{key}.json", self.folder / f"{key}.pdf"
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            numbers = {str(k): int(v) for k, v in info.get("numbers", {}).items()}
            return Handbook(info["path"], pdf.read_bytes(), int(info["pages"]), numbers=numbers)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or damaged: lay the book out again

    def get(self, key: str) -> Handbook | None:
        book = self._entry(key)
        if book is None:
            return None
        os.utime(self.folder / f"{key}.json")  # recently used: kept longest
        return dataclasses.replace(book, reused=True)

    def latest(self) -> Handbook | None:
        """The newest complete entry, whatever its key (the preview's last good handbook)."""
        for meta in self._entries():
            if book := self._entry(meta.stem):
                return dataclasses.replace(book, reused=True, stale=True)
        return None

    def _entries(self) -> list[Path]:
        metas = self.folder.glob("*.json") if self.folder.is_dir() else []
        return sorted(metas, key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)

    def put(self, key: str, book: Handbook) -> None:
        """Store a complete PDF (the .json, written last, marks it complete); keep the newest few."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for suffix, data in (
            (".pdf", book.pdf),
            (".json", json.dumps({"path": book.path, "pages": book.pages, "numbers": book.numbers}).encode()),
        ):
            tmp = self.folder / f"{key}{suffix}.tmp"
            tmp.write_bytes(data)
            tmp.replace(self.folder / f"{key}{suffix}")
        for old in self._entries()[KEEP:]:
            old.unlink(missing_ok=True)
            old.with_suffix(".pdf").unlink(missing_ok=True)


def build_or_reuse(kb, config, loader, glossary_links: bool = True, articles=None) -> Handbook:
    """The cached handbook when its inputs are unchanged, else a fresh one (then cached,
    unless it had to leave images out: that build fails, and so must the next one)."""
    folder = cache_dir(config)
    cache, key = HandbookCache(folder), digest(config, glossary_links)
    book = cache.get(key)
    if book is None:
        # The last book's page numbers are the first guess, and its unchanged parts are reused.
        last = cache.latest()
        store = PartStore(folder / "parts", digest(config, glossary_links, articles=False))
        book = handbook.build(
            kb, config, loader, glossary_links, articles, guess=last.numbers if last else None, store=store
        )
        if not book.refused:
            cache.put(key, book)
    return book


def preview(config, glossary_links: bool = True) -> Handbook | None:
    """For `kbsite serve`: the cached handbook, never a layout.

    The one for this content if cached, else the newest one (marked stale), else None.
    """
    cache = HandbookCache(cache_dir(config))
    return cache.get(digest(config, glossary_links)) or cache.latest()


def describe(book: Handbook | None, seconds: float) -> str:
    """One line on what the build did with the handbook."""
    if book is None:
        return "handbook: not laid out in the preview (`kbsite pdf` makes it)"
    size = f"{book.pages} pages, {book.size_mb} MB"
    if book.stale:
        return f"handbook: not laid out in the preview; the last one ({size}) is older than the content"
    if book.reused:
        return f"handbook: unchanged content, reused from the cache ({size})"
    return f"handbook: laid out in {seconds:.1f} s ({size})"
