"""The ZIM file for Kiwix: the built site, packed by Debian's zimwriterfs (zim-tools).

Why zimwriterfs and not PyPI's libzim: it is a separate program (GPL, run, never linked or
imported), so kbsite stays MIT with no GPL package even as an extra; it packs a folder of HTML
as it is, which is what kbsite's site already is (works without JavaScript, relative links,
external-link notices); it builds the full-text index; and the same Debian package brings
zimcheck, which the tests run. What it cannot do is reproducible bytes: it writes a random
UUID and today's date as `Date`, so two ZIMs of the same site differ in those (and in what
depends on them); their pages are the same bytes.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..content.errors import ContentError, ContentErrors
from ..content.model import slugify
from .names import download_name

TITLE_MAX, DESCRIPTION_MAX = 30, 80
ILLUSTRATION = "kbsite-zim-illustration-48.png"  # written into the packed copy only
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


def metadata(config, language: str, config_file: str = "mkdocs.yml") -> ZimMeta:
    """The mandatory metadata from mkdocs.yml, every problem reported at once."""
    plugin = config.plugins.get("kbsite")
    options = plugin.config if plugin else {}
    title = options.get("zim_title") or config.site_name or ""
    description = options.get("zim_description") or config.site_description or ""
    errors = []
    if not title or len(title) > TITLE_MAX:
        field = "plugins.kbsite.zim_title" if options.get("zim_title") else "site_name"
        errors.append(
            _problem(
                config_file,
                field,
                f"the ZIM title {title!r} has {len(title)} characters; Kiwix allows 1 to {TITLE_MAX}",
                f"shorten `site_name`, or add `zim_title: <1 to {TITLE_MAX} characters>` under `- kbsite:`",
            )
        )
    if not description or len(description) > DESCRIPTION_MAX:
        field = "plugins.kbsite.zim_description" if options.get("zim_description") else "site_description"
        errors.append(
            _problem(
                config_file,
                field,
                f"the ZIM description has {len(description)} characters; Kiwix allows 1 to {DESCRIPTION_MAX}",
                f"give `site_description:`, or add `zim_description: <1 to {DESCRIPTION_MAX} characters>` "
                "under `- kbsite:`",
            )
        )
    iso3 = ISO_639_3.get(language.split("-")[0].lower(), language if language in ISO_639_3.values() else "")
    if not iso3:
        errors.append(
            _problem(
                config_file,
                "theme.language",
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


def write_zim(site: Path, out: Path, meta: ZimMeta, icon: bytes) -> Path:
    """Pack `site` into `out` with zimwriterfs; nothing is written at `out` on failure."""
    program = check_program()
    with tempfile.TemporaryDirectory(prefix="kbsite-zim-") as tmp:
        copy = Path(tmp) / "site"
        # The ZIM holds the site, not other ZIMs, nor what only a web server uses: the sitemap
        # (absolute URLs) and 404.html (links from the server's root, which a ZIM does not have).
        shutil.copytree(site, copy, ignore=shutil.ignore_patterns("*.zim", "sitemap.xml*", "404.html"))
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
