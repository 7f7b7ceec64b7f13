"""kbsite's own interface words in the reader's language: gettext catalogs, English fallback.

The catalogs are PO files, `kbsite/locale/<lang>.po`, the format translators' tools
(Weblate, Crowdin, Poedit) read; Babel compiles them in memory when a build needs
them, so there is no compiled file to keep in step. A word missing from a catalog
shows in English. Material's own words follow `theme.language`.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..content.languages import Language
from ..content.model import KnowledgeBase

LOCALE = Path(__file__).parent.parent / "locale"


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog for `lang`, or English (the words as written in the templates)."""
    po = LOCALE / f"{lang}.po"
    if not lang or not po.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=lang.replace("-", "_"))
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return gettext.GNUTranslations(mo)


def css_string(text: str) -> Markup:
    """`text` as a quoted CSS string, for a translated word in a `content:` rule."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,;:()–-" else f"\\{ord(ch):x} " for ch in str(text))
    return Markup(f'"{escaped}"')


def ltr(text: str) -> Markup:
    """A date or code read left to right inside any sentence (2026-11-20 stays so in Persian)."""
    return Markup('<span dir="ltr">{}</span>').format(text)


def translate(lang: str, message: str) -> str:
    """`message` in `lang`, for the words Python writes (a book's title)."""
    return translations(lang).gettext(message)


def install(env: jinja2.Environment, lang: str) -> None:
    """Give `env`'s templates `_()` (and `{% trans %}`) in `lang`."""
    if "jinja2.ext.InternationalizationExtension" not in env.extensions:
        env.add_extension("jinja2.ext.i18n")
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["css_string"] = css_string
    env.filters["ltr"] = ltr


def code(kb: KnowledgeBase) -> str:
    """The code of the language `kb` is read in ("en" when none is declared)."""
    return kb.language.code if kb.language else "en"


def language_links(kb: KnowledgeBase, url: str) -> list[tuple[Language, str, bool]]:
    """For the page at `url` (relative to this language's root): each language, the relative
    link to the same page in it, and whether it is this one. Every language has every page
    (an untranslated article shows its original), so no link is ever broken."""
    if len(kb.languages) < 2:
        return []
    here = code(kb)
    original = kb.languages[0].code
    up = "../" * url.count("/") + ("" if here == original else "../")
    return [
        (lang, f"{up}{'' if lang.code == original else lang.code + '/'}{url}", lang.code == here)
        for lang in kb.languages
    ]


def language_name(code_: str, in_lang: str) -> str:
    """The name of language `code_` in language `in_lang` ("英語" for en in ja), from Babel."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(code_.replace("-", "_")).get_display_name(in_lang.replace("-", "_")) or code_
    except (UnknownLocaleError, ValueError):
        return code_


def heading_slug(text: str, sep: str) -> str:
    """Heading anchors in any script: Python-Markdown's own where it keeps every letter
    (so Latin-script anchors stay as they were), else one that keeps the letters (Japanese,
    Persian...): `Tails の仕組み` -> `tails-の仕組み`, not `tails`."""
    import unicodedata

    from markdown.extensions.toc import slugify
    from pymdownx.slugs import slugify as unicode_slugify

    letters = sum(ch.isalpha() for ch in text)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    if sum(ch.isalpha() for ch in folded) == letters:
        return slugify(text, sep)
    return unicode_slugify(case="lower")(text, sep)
