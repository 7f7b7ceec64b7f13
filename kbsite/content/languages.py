"""The languages of a knowledge base: the original's and its translations'.

Declared once, in the plugin's options in mkdocs.yml; the original language is the
theme's (`theme.language`, English when unset):

    plugins:
      - kbsite:
          languages:
            - ja
            - {code: fa, name: فارسی, dir: rtl}

A language's name (in its own script) and direction come from Babel's locale data
when not given; Arabic, Persian, Hebrew, Urdu and Pashto are right-to-left.

A translation sits beside its original, named with the language as a suffix: the
convention of mkdocs-static-i18n, the ecosystem's i18n plugin, so translators and
their tools see the original and every translation side by side:
`content/devices/what-is-tails.ja.md`, `content/_data/tools.ja.yml`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

RTL = frozenset({"ar", "fa", "he", "ur", "ps"})
CODE_RE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
# `<stem>.<code>` where the code looks like a language tag; whether it is declared is checked later.
SUFFIX_RE = re.compile(r"^(?P<stem>[^.]+)\.(?P<code>[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)$")


class LanguageError(ValueError):
    """A language declaration that cannot be used; the message says what to write."""


@dataclass(frozen=True)
class Language:
    code: str  # as in the file suffix and the output folder, e.g. "ja", "pt-BR"
    name: str  # in its own script, e.g. "日本語"
    direction: str  # "ltr" or "rtl"

    @property
    def base(self) -> str:
        """The language without region or script: "pt" for "pt-BR"."""
        return re.split(r"[-_]", self.code)[0].lower()

    @property
    def script(self) -> str:
        """The alphabet its name is written in, which its indexes list first ("ARABIC",
        "CYRILLIC"); "" for Latin, and for Chinese and Japanese, whose kanji sort by code point."""
        found = script_of(self.name)
        return "" if found in ("LATIN", "CJK", "HIRAGANA", "KATAKANA") else found


def script_of(text: str) -> str:
    """The script of the first letter of `text` ("LATIN", "ARABIC", "CJK"...), "" if none."""
    letter = next((c for c in text if c.isalpha()), "")
    return unicodedata.name(letter, "").split(" ", 1)[0] if letter else ""


def _babel_locale(code: str):
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None


def language(code: str, name: str | None = None, direction: str | None = None) -> Language:
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise LanguageError(
            f"{code!r} is not a language code; write an ISO 639 code such as `ja`, `fa` or `pt-BR`"
        )
    locale = _babel_locale(code)
    if direction is None:
        base = re.split(r"[-_]", code)[0].lower()
        direction = "rtl" if base in RTL else (locale.text_direction if locale else "ltr")
    if direction not in ("ltr", "rtl"):
        raise LanguageError(f"{code}: dir must be `ltr` or `rtl`, not {direction!r}")
    if name is None:
        if locale is None:
            raise LanguageError(
                f"{code}: Babel does not know this language; give its name: `{{code: {code}, name: ...}}`"
            )
        name = locale.get_display_name(locale) or code
    return Language(code, name[:1].upper() + name[1:], direction)


def declared(original: str, entries: Any) -> tuple[Language, ...]:
    """The original language first, then each declared translation language."""
    langs = [language(original or "en")]
    for entry in entries or []:
        if isinstance(entry, str):
            lang = language(entry)
        elif isinstance(entry, dict) and set(entry) <= {"code", "name", "dir"} and "code" in entry:
            lang = language(entry["code"], entry.get("name"), entry.get("dir"))
        else:
            raise LanguageError(
                f"languages: {entry!r} is not a language; write a code (`- ja`) or `- {{code: fa, name: فارسی}}`"
            )
        if lang.code in {x.code for x in langs}:
            raise LanguageError(f"languages: `{lang.code}` is declared twice (or is the original language)")
        langs.append(lang)
    return tuple(langs)


def split_suffix(stem: str) -> tuple[str, str | None]:
    """`what-is-tails.ja` -> ("what-is-tails", "ja"); no suffix -> (stem, None)."""
    m = SUFFIX_RE.match(stem)
    return (m["stem"], m["code"]) if m else (stem, None)
