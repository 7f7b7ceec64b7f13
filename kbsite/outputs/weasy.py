"""WeasyPrint, set up the one way kbsite uses it: no network, nothing outside the content folder.

Shared by the handbook and its page numbering, so neither imports the other.
"""

from __future__ import annotations

import contextlib
import gc
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

# The same base URL on every machine: WeasyPrint names each image by an MD5 of its URL,
# so a URL holding the build folder would change the PDF's bytes (and hash the path into it).
VIRTUAL_ROOT = "/kbsite-content"


@contextlib.contextmanager
def paused_gc():
    """Python's cyclic garbage collector paused while WeasyPrint works.

    A layout keeps millions of objects alive until the PDF is written; every full
    collection walks them all again and finds little: a third of the CPU time of
    a render. Reference counting still frees most garbage at once (peak memory
    grew by 5% at 100 articles).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def render(html: str, base: Path):
    """The laid-out WeasyPrint document. Nothing outside `base` and no network is reachable."""
    import weasyprint

    with paused_gc():
        return weasyprint.HTML(
            string=html, base_url=f"file://{VIRTUAL_ROOT}/", url_fetcher=local_fetcher(base)
        ).render()


def anchors(document) -> tuple[int, dict[str, int]]:
    """A laid-out document's page count, and the page index where each id stands."""
    found: dict[str, int] = {}
    for i, page in enumerate(document.pages):
        for name in page.anchors:
            found.setdefault(name, i)
    return len(document.pages), found


def local_fetcher(root: Path):
    """A URL fetcher for data: URLs and files under `root`; it refuses everything else.

    Images come without their metadata, as on the site (kbsite.safety.images).
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from ..safety import images
    from ..safety.policy import content_type

    root = root.resolve()

    class LocalFetcher(URLFetcher):
        def fetch(self, url: str, headers=None):
            if not url.startswith("file:"):
                return super().fetch(url, headers)
            rel = posixpath.normpath(unquote(urlsplit(url).path))
            path = (root / rel.removeprefix(VIRTUAL_ROOT + "/")).resolve()  # resolves "..": no way out
            if not rel.startswith(VIRTUAL_ROOT + "/") or not path.is_relative_to(root):
                raise ValueError(f"handbook: refusing to read outside the content folder: {url}")
            data = path.read_bytes()
            if images.is_image(path.name):
                data = images.strip(data, path.name)
            return URLFetcherResponse(url, data, {"Content-Type": content_type(path.name)})

    return LocalFetcher(allowed_protocols=("file", "data"), allow_redirects=False)
