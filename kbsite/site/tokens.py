"""Search terms from text in any script: the one rule the index and the search box share.

kb-search.js carries the same steps in JavaScript (`fold`, `terms`, `bucket`), and
tests/test_search_tokens.py runs both on the same strings in a browser:

- fold: lower case, compatibility forms (full-width letters), diacritics dropped
  (é = e), Arabic harakat and tatweel dropped, Arabic letters to their Persian
  forms (ي ى → ی, ك → ک, أ إ آ → ا, ة → ه), Persian and Arabic digits to 0-9;
- words are runs of letters, digits and marks; a ZWNJ inside a Persian word gives
  the parts and the joined word, so either spelling finds it;
- CJK (kana, kanji, hangul) has no spaces: each run becomes overlapping character
  bigrams, as Lucene's CJK analyser does, at build time and in the query alike;
- a term's bucket (the index part it is stored in) is a hash of its first two
  characters (one for CJK), so a prefix finds every longer term in one part.
"""

from __future__ import annotations

import re
import unicodedata

ZWNJ = "\u200c"
MAX_TERM = 40  # longer "words" are addresses or noise: not worth an index entry

# Only these marks go: a mark that is part of a letter (Devanagari vowels, kana voicing) stays.
_DROP = re.compile("[\u0300-\u036f\u064b-\u065f\u0670\u0640]")
_LETTERS = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ك": "ک",
        "ة": "ه",
        **{chr(0x660 + i): str(i) for i in range(10)},
        **{chr(0x6F0 + i): str(i) for i in range(10)},
    }
)
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_RUN = re.compile(f"[{_CJK}]+|[^{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")


def _marks() -> str:
    """Every combining mark of the Basic Multilingual Plane, as a character class body
    (JavaScript's \\p{M}; Python's `re` has no Unicode classes)."""
    out, start = [], None
    for cp in range(0x10000):
        is_mark = unicodedata.category(chr(cp))[0] == "M"
        if is_mark and start is None:
            start = cp
        elif not is_mark and start is not None:
            out.append(f"\\u{start:04x}-\\u{cp - 1:04x}")
            start = None
    return "".join(out)


# One character class (an alternation per character was most of the index's build time);
# underscores, which \w includes, are split off afterwards.
_WORD = f"[\\w{_marks()}]+"
WORDS = re.compile(f"{_WORD}(?:{ZWNJ}{_WORD})*")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return unicodedata.normalize("NFC", _DROP.sub("", text)).translate(_LETTERS)


def is_cjk(term: str) -> bool:
    return bool(term) and bool(_CJK_CHAR.match(term))


def _split(word: str) -> list[str]:
    if word.isascii():
        return [word]
    out = []
    for run in _CJK_RUN.findall(word):
        if not is_cjk(run) or len(run) == 1:
            out.append(run)
        else:
            out += [run[i : i + 2] for i in range(len(run) - 1)]
    return out


def terms(text: str, query: bool = False) -> list[str]:
    """The terms of `text` in order (repeats kept). In a query a ZWNJ word is only
    its joined form: the index holds that for every such word."""
    folded = fold(text)
    words = WORDS.findall(folded)
    if "_" not in folded and ZWNJ not in folded and not _CJK_CHAR.search(folded):
        return [w for w in words if len(w) <= MAX_TERM]  # most text: words are the terms
    out: list[str] = []
    for w in words:
        for word in w.split("_"):
            if word:
                _add(word, out, query)
    return [t for t in out if len(t) <= MAX_TERM]


def _add(word: str, out: list[str], query: bool) -> None:
    parts = [p for p in word.split(ZWNJ) if p]
    if len(parts) > 1:
        out.append("".join(parts))
        if query:
            return
    for part in parts:
        out += _split(part)


def bucket(term: str, parts: int) -> int:
    """The index part (of `parts`) that holds `term`: a hash of its first two characters, one
    for CJK, so a prefix finds all its longer terms in one part, and every part exists (a
    query never asks for a missing file, and needs no list of files first)."""
    h = 0
    for ch in term[: 1 if is_cjk(term) else 2]:
        h = (h * 31 + ord(ch)) % 1_000_003
    return h % parts
