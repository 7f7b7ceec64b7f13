"""The search rows of the bench (`scripts/bench --search-only`, or with the full bench).

For each size: the index on disk (and the one-file index it replaced, rebuilt from the
same rows for comparison), then from the first key press to the first results and to
all results shown, with the bytes of search/ loaded, for a one-word and a two-word
query, from file:// and over a slow onion-like link: the site served by nginx on
loopback with the shipped server block (kbsite.outputs.deploy), Chromium throttled
through the DevTools protocol (1.5 Mbit/s down, 400 ms round trip, no cache).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

THROTTLE = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 1_500_000 / 8,
    "uploadThroughput": 750_000 / 8,
}

SETUP = """() => {
  const panel = document.querySelector('.kb-search__results');
  window.__kbT = {key: null, first: null, all: null};
  document.addEventListener('keydown', () => { if (__kbT.key === null) __kbT.key = performance.now(); }, true);
  new MutationObserver(() => {
    const now = performance.now();
    if (__kbT.first === null && panel.querySelector('li')) __kbT.first = now;
    if (__kbT.all === null && panel.dataset.done) __kbT.all = now;
  }).observe(panel, {childList: true, subtree: true, attributes: true});
  window.__kbClick = performance.now();
}"""


@contextmanager
def nginx(site: Path) -> Iterator[str]:
    """The site served by nginx on 127.0.0.1 with the shipped server block; yields its URL."""
    from ..outputs.deploy import nginx_conf
    from .nginx import free_port, start

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kbsite-bench-nginx-") as tmp:
        block = nginx_conf(root=str(site), listen=f"127.0.0.1:{port}")
        proc = start(Path(tmp), block, ("127.0.0.1", port))
        try:
            yield f"http://127.0.0.1:{port}/"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def timing(browser, site: Path, base: str, page_path: str, query: str, throttled: bool) -> dict:
    """Type `query` at once into the box of `page_path`: ms from the first key to the first
    results and to all shown, bytes of search/ loaded, longest main-thread task (ms)."""
    from .bench import LONGTASKS

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if throttled:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", THROTTLE)
    loaded: list = []
    page.on("requestfinished", lambda r: loaded.append(r) if "/search/" in r.url else None)
    page.add_init_script(LONGTASKS)
    page.goto(base + page_path)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    page.evaluate(SETUP)
    page.click(".kb-search__input")
    page.keyboard.type(query)
    page.wait_for_function(
        "q => document.querySelector('.kb-search__results').dataset.done === q", arg=query, timeout=60000
    )
    page.wait_for_timeout(200)
    r = page.evaluate(
        "() => ({t: __kbT, click: __kbClick, long: __kbLong,"
        " results: document.querySelectorAll('.kb-search__hit').length})"
    )
    if base.startswith("file:"):  # no transfer: the files' sizes
        size = sum((site / "search" / u.url.split("/search/")[1]).stat().st_size for u in loaded)
    else:  # what went over the (throttled) link
        size = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in (u.sizes() for u in loaded))
    context.close()
    return {
        "query": query,
        "first_results_ms": round(r["t"]["first"] - r["t"]["key"], 1),
        "all_results_ms": round(r["t"]["all"] - r["t"]["key"], 1),
        "search_kb": round(size / 1024, 1),
        "files": len(loaded),
        "longest_task_ms": max((d for start, d in r["long"] if start + d >= r["click"]), default=0),
        "results": r["results"],
    }


def old_index_bytes(kb) -> int:
    """The one-file-per-300-KB index this one replaced: every row as JSON."""
    from ..site import search

    rows = search.rows(kb)
    return len(
        (
            "kbSearchAdd(["
            + ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
            + "]);\n"
        ).encode()
    )


def bench_search_size(n: int, root: Path, browser) -> dict:
    """Rows for the built synthetic site in `root` (mkdocs.yml, content/, site/)."""
    import random

    from ..content import load
    from . import synth
    from .bench import dir_size

    site = root / "site"
    kb = load.load(root / "content", "Synthetic KB")
    words = synth._Words(random.Random(synth.SEED))
    queries = [words.rare[200], f"{words.rare[200]} {words.rare[300]}"]
    page_path = sorted(site.glob("network/*.html"))[0].relative_to(site).as_posix()
    out: dict = {
        "articles": n,
        "index_kb": round(dir_size(site / "search") / 1024, 1),
        "index_files": len(list((site / "search").iterdir())),
        "old_index_kb": round(old_index_bytes(kb) / 1024, 1),
        "file": [timing(browser, site, site.as_uri() + "/", page_path, q, False) for q in queries],
    }
    with nginx(site) as base:
        out["throttled"] = [timing(browser, site, base, page_path, q, True) for q in queries]
    return out


def table(rows: list[dict]) -> str:
    lines = [
        "search: index KB on disk (one-file index it replaced); per query: KB of search/ loaded, "
        "ms from first key to first results / all shown, from file:// and throttled (1.5 Mbit/s, 400 ms RTT)"
    ]
    for r in rows:
        for f, t in zip(r["file"], r["throttled"], strict=True):
            lines.append(
                f"  {r['articles']:>5} articles, index {r['index_kb']:.0f} KB ({r['old_index_kb']:.0f} KB), "
                f"'{f['query']}': {t['search_kb']:.0f} KB, file:// {f['first_results_ms']:.0f}/{f['all_results_ms']:.0f} ms, "
                f"throttled {t['first_results_ms']:.0f}/{t['all_results_ms']:.0f} ms, "
                f"longest task {max(f['longest_task_ms'], t['longest_task_ms']):.0f} ms"
            )
    return "\n".join(lines)
