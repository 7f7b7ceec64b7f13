"""Smaller pages: drop the indentation Jinja templates leave in the HTML.

Material's templates indent every line; at 1,000 articles that was half of an
article page's bytes. A whitespace run that starts with a line break becomes
one line break, which a browser renders the same, except inside <pre> and
<textarea>, which are kept as they are. U+00A0 (rendered) is never touched.
"""

from __future__ import annotations

import re

_KEEP = re.compile(r"(<(pre|textarea)\b.*?</\2>)", re.S | re.I)
_BREAK = re.compile(r"\n[\n\t\r\f\v ]+")


def squeeze(html: str) -> str:
    pieces = _KEEP.split(html)
    out = []
    # split() with one inner group yields: text, kept element, its tag name, text, ...
    for i in range(0, len(pieces), 3):
        out.append(_BREAK.sub("\n", pieces[i]))
        if i + 1 < len(pieces):
            out.append(pieces[i + 1])
    return "".join(out)
