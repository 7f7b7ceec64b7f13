"""The one change to Material's page frame that its template blocks cannot make.

Material's base.html writes the drawer's toggle (a checkbox) before any block, and
its skip link after it; kbsite makes that checkbox focusable below 1220 px (the menu
button, for keyboards and without JavaScript), so the skip link must move in front of
it to stay the first Tab stop. kb/base.html renders kbsite's skip link (to the page's
start, on every page); Material's, which jumps to the first H2 and exists only on pages
with headings, is dropped.
"""

from __future__ import annotations

import re

_MATERIAL_SKIP = re.compile(r'<div data-md-component="skip">.*?</div>', re.S)
_KB_SKIP = re.compile(r'\s*<a href="#kb-content" class="md-skip kb-skip">.*?</a>', re.S)
_BODY = re.compile(r"<body\b[^>]*>")


def skip_link_first(html: str) -> str:
    """The page with kbsite's skip link as the first element of <body>."""
    link = _KB_SKIP.search(html)
    body = _BODY.search(html)
    if link is None or body is None:  # a site's own main.html without kb/base.html
        return html
    skip = link.group().strip()
    html = html[: link.start()] + html[link.end() :]
    html = _MATERIAL_SKIP.sub('<div data-md-component="skip"></div>', html, count=1)
    return html[: body.end()] + "\n" + skip + html[body.end() :]
