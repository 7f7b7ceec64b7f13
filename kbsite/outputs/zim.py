"""The ZIM file for Kiwix: the built site, packed by Debian's zimwriterfs (zim-tools).

Why zimwriterfs and not PyPI's libzim: it is a separate program (GPL, run, never linked or
imported), so kbsite stays MIT with no GPL package even as an extra; it packs a folder of HTML
as it is, which is what kbsite's site already is (works without JavaScript, relative links,
external-link notices); it builds the full-text index; and the same Debian package brings
zimcheck, which the tests run. What it cannot do is reproducible bytes: it writes a random
UUID and today's date as `Date`, so two ZIMs of the same site differ in those (and in what
depends on them); their pages are the same bytes.

One ZIM per language, each from that language's build (`site/` for the original without the
translations' folders, `site/<lang>/` for a translation), without the language bar: the other
languages are other ZIMs. A downloads page cannot hold the size of a ZIM that contains it, so
the ZIM's copy of the page shows no ZIM size, and once the ZIM is written its size is filled in
the site's page (`show_sizes`; the bundle does the same with the ZIMs it carries).
"""

from __future__ import annotations

import io
import posixpath
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..content.errors import ContentError, ContentErrors
from ..content.model import slugify
from ..site.i18n import translate
from .names import download_name, size_mb

TITLE_MAX, DESCRIPTION_MAX = 30, 80
ILLUSTRATION = "kbsite-zim-illustration-48.png"  # written into the packed copy only
# The downloads page's place for a ZIM's size (kb/downloads.html), filled once the ZIM exists.
SIZE_SPAN = re.compile(r'(<span class="kb-muted kb-zim-size" data-zim="([^"]+)">)[^<]*(</span>)')
PAGE_LANG = re.compile(r'<html lang="([^"]+)"')
LANGUAGE_BAR = re.compile(r'<nav class="kb-languages"[^>]*>.*?</nav>\n?', re.S)
LINK = re.compile(r' ?<a\b[^>]*?\bhref="([^"#?:]*)[^"]*"[^>]*>.*?</a>', re.S)
# ISO 639-1 (what mkdocs.yml's theme.language holds) to ISO 639-3 (what Kiwix wants).
ISO_639_3 = {
    "ar": "ara", "bg": "bul", "bn": "ben", "ca": "cat", "cs": "ces", "da": "dan", "de": "deu",
    "el": "ell", "en": "eng", "es": "spa", "et": "est", "fa": "fas", "fi": "fin", "fr": "fra",
    "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun", "id": "ind", "it": "ita", "ja": "jpn",
    "ko": "kor", "lt": "lit", "lv": "lav", "my": "mya", "nl": "nld", "no": "nor", "pl": "pol",
    "ps": "pus", "pt": "por", "ro": "ron", "ru": "rus", "sk": "slk", "sl": "slv", "sr": "srp",
    "sv": "swe", "sw": "swa", "ta": "tam", "th": "tha", "tr": "tur", "uk": "ukr", "ur": "urd",
    "vi": "vie", "zh": "zho",
}  # fmt: skip


@dataclass(frozen=True)
class ZimMeta:
    name: str
    title: str
    description: str
    language: str  # ISO 639-3
    creator: str
    publisher: str


def _problem(config_file: str, field: str, message: str, hint: str) -> ContentError:
    return ContentError(config_file, message, hint, field=field)


def _option(options, key: str, language: str, original: bool) -> tuple[str, str]:
    """A ZIM option given as text (the original language) or per language; and its field."""
    value = options.get(key)
    if isinstance(value, dict):
        return str(value.get(language) or ""), f"plugins.kbsite.{key}.{language}"
    return (value or "") if original else "", f"plugins.kbsite.{key}"


def metadata(config, language: str, config_file: str = "mkdocs.yml", original: bool = True) -> ZimMeta:
    """The mandatory metadata from mkdocs.yml, every problem reported at once.

    A translation's title and description come from `zim_title`/`zim_description` given per
    language (`{ja: ..., fa: ...}`), else the site's name and kbsite's own sentence, translated
    by the language's catalog."""
    plugin = config.plugins.get("kbsite")
    options = plugin.config if plugin else {}
    title, title_field = _option(options, "zim_title", language, original)
    description, description_field = _option(options, "zim_description", language, original)
    title_field = title_field if title else "site_name"
    title = title or config.site_name or ""
    if not description and not original:
        description = translate(language, "%(site)s, offline: every guide, with full-text search") % {
            "site": title
        }
        description_field = f"plugins.kbsite.zim_description.{language}"
    elif not description:
        description, description_field = config.site_description or "", "site_description"
    errors = []
    if not title or len(title) > TITLE_MAX:
        errors.append(
            _problem(
                config_file,
                title_field,
                f"the ZIM title {title!r} has {len(title)} characters; Kiwix allows 1 to {TITLE_MAX}",
                f"shorten `site_name`, or add `zim_title: <1 to {TITLE_MAX} characters>` under `- kbsite:`"
                + (f" (per language: `zim_title: {{{language}: ...}}`)" if not original else ""),
            )
        )
    if not description or len(description) > DESCRIPTION_MAX:
        errors.append(
            _problem(
                config_file,
                description_field,
                f"the ZIM description has {len(description)} characters; Kiwix allows 1 to {DESCRIPTION_MAX}",
                f"give `site_description:`, or add `zim_description: <1 to {DESCRIPTION_MAX} characters>` "
                "under `- kbsite:`"
                + (f" (per language: `zim_description: {{{language}: ...}}`)" if not original else ""),
            )
        )
    iso3 = ISO_639_3.get(language.split("-")[0].lower(), language if language in ISO_639_3.values() else "")
    if not iso3:
        errors.append(
            _problem(
                config_file,
                "theme.language" if original else "plugins.kbsite.languages",
                f"no ISO 639-3 code known for the language {language!r}",
                "use a two-letter ISO 639-1 code (e.g. `en`, `fa`) or a three-letter ISO 639-3 code; "
                "to add one, extend ISO_639_3 in kbsite/outputs/zim.py",
            )
        )
    if errors:
        raise ContentErrors(errors)
    creator = config.site_author or config.site_name or title
    name = f"{slugify(config.site_name or title) or 'knowledge-base'}_{language}"
    return ZimMeta(name, title, description, iso3, creator, creator)


def metadata_per_language(config, languages: list[str], config_file: str) -> dict[str, ZimMeta]:
    """Each language's metadata (the original first), every problem of every language at once."""
    metas, errors = {}, []
    for i, language in enumerate(languages):
        try:
            metas[language] = metadata(config, language, config_file, original=i == 0)
        except ContentErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise ContentErrors(errors)
    return metas


def zim_name(config, language: str) -> str:
    return download_name(config.site_name, language, "zim")


def check_program() -> str:
    program = shutil.which("zimwriterfs")
    if not program:
        raise ContentErrors(
            [_problem("kbsite zim", "zimwriterfs", "zimwriterfs is not installed", "apt install zim-tools")]
        )
    return program


def illustration(site: Path, favicon: str) -> bytes:
    """The site's icon as the 48×48 PNG Kiwix shows in its library."""
    path = site / favicon
    try:
        image = Image.open(path)
        image.load()
    except (OSError, ValueError) as exc:
        raise ContentErrors(
            [
                _problem(
                    "mkdocs.yml",
                    "theme.favicon",
                    f"{favicon} cannot be read as an image for the ZIM's illustration ({exc})",
                    "give a PNG favicon of at least 48×48 pixels (an SVG icon cannot be used)",
                )
            ]
        ) from exc
    out = io.BytesIO()
    image.convert("RGBA").resize((48, 48), Image.Resampling.LANCZOS).save(out, "PNG", optimize=True)
    return out.getvalue()


def write_zims(
    site: Path, out_dir: Path, config, languages: list[str], metas: dict[str, ZimMeta], favicon: str
) -> list[Path]:
    """One ZIM per language (the original first) from the built `site` into `out_dir`, then
    their sizes on the site's downloads pages; returns their paths."""
    written = []
    for i, language in enumerate(languages):
        # The original is the site's root, less the translations; a translation its folder.
        folder, skip = (site, tuple(languages[1:])) if i == 0 else (site / language, ())
        icon = illustration(folder, favicon)
        written.append(write_zim(folder, out_dir / zim_name(config, language), metas[language], icon, skip))
    fill_sizes(site, {p.name: p.stat().st_size for p in written})
    return written


def show_sizes(html: str, sizes: dict[str, int]) -> str:
    """The downloads page with each ZIM's size filled in where it is in `sizes`, else blank;
    "MB" in the page's own language (its <html lang>)."""
    found = PAGE_LANG.search(html)
    unit = translate(found.group(1) if found else "", "%(size)s MB")

    def size(m: re.Match) -> str:
        shown = "— " + unit % {"size": size_mb(sizes[m.group(2)])} if m.group(2) in sizes else ""
        return m.group(1) + shown + m.group(3)

    return SIZE_SPAN.sub(size, html)


def fill_sizes(site: Path, sizes: dict[str, int]) -> None:
    """Write the ZIMs' sizes into the built site's downloads pages (each replaced whole)."""
    for page in sorted(site.glob("downloads.html")) + sorted(site.glob("*/downloads.html")):
        text = page.read_text(encoding="utf-8")
        filled = show_sizes(text, sizes)
        if filled != text:
            tmp = page.with_name(page.name + ".new")
            tmp.write_text(filled, encoding="utf-8")
            tmp.replace(page)


def _packed_copy(site: Path, copy: Path, skip: tuple[str, ...]) -> None:
    """The site as the ZIM holds it: this language only, no links to others, no ZIM sizes."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        # Not other ZIMs, nor what only a web server uses: the sitemap (absolute URLs) and
        # 404.html (links from the server's root, which a ZIM does not have); nor, at the top,
        # the translations' folders (each is its own ZIM).
        top = set(skip) if Path(folder) == site else set()
        return {
            n
            for n in names
            if n in top or n.endswith(".zim") or n.startswith("sitemap.xml") or n == "404.html"
        }

    def drop_outside(page: str, text: str) -> str:
        # Links to other languages (the original of an outdated translation) lead out of this ZIM.
        def keep(m: re.Match) -> str:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), m.group(1)))
            return "" if target.startswith("../") or target.split("/")[0] in skip else m.group(0)

        return LINK.sub(keep, LANGUAGE_BAR.sub("", text))

    shutil.copytree(site, copy, ignore=ignore)
    for page in copy.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        packed = show_sizes(drop_outside(page.relative_to(copy).as_posix(), text), {})
        if packed != text:
            page.write_text(packed, encoding="utf-8")


def write_zim(site: Path, out: Path, meta: ZimMeta, icon: bytes, skip: tuple[str, ...] = ()) -> Path:
    """Pack `site` (less its top folders `skip`) into `out` with zimwriterfs; nothing is written
    at `out` on failure."""
    program = check_program()
    with tempfile.TemporaryDirectory(prefix="kbsite-zim-") as tmp:
        copy = Path(tmp) / "site"
        _packed_copy(site, copy, skip)
        (copy / ILLUSTRATION).write_bytes(icon)
        part = Path(tmp) / out.name
        # fmt: off
        done = subprocess.run(
            [
                program, "--welcome", "index.html", "--illustration", ILLUSTRATION,
                "--language", meta.language, "--title", meta.title, "--description", meta.description,
                "--creator", meta.creator, "--publisher", meta.publisher, "--name", meta.name,
                "--scraper", "kbsite", "--threads", "1", str(copy), str(part),
            ],
            capture_output=True,
            text=True,
        )  # fmt: on
        if done.returncode != 0 or not part.is_file():
            raise ContentErrors(
                [
                    _problem(
                        "kbsite zim",
                        "zimwriterfs",
                        "zimwriterfs failed: " + (done.stderr or done.stdout).strip()[-2000:],
                        "see its message above",
                    )
                ]
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(part, out)
    return out
