"""The bench's handbook and editing-loop rows (scripts/bench): for one size,

- `kbsite build` (site and handbook) cold, then warm (nothing changed: the cached PDF);
- the handbook after one edited article (a full layout: the cache is per book);
- `kbsite pdf` cold, against the plain single-process WeasyPrint pass of the same
  book HTML (kbsite.dev.plainpdf), from the same run;
- `kbsite serve`: seconds from saving an article to its new HTML being served.

Each with the peak memory of the process tree.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from . import synth
from .bench import EPOCH, run_measured

KBSITE = [sys.executable, "-m", "kbsite.cli"]


def _fresh(root: Path) -> None:
    shutil.rmtree(root / "site", ignore_errors=True)
    shutil.rmtree(root / ".cache", ignore_errors=True)


def _first_article(root: Path) -> Path:
    return sorted((root / "content").glob("*/*.md"))[0]


def _row(wall: float, peak: int, cpu: float) -> dict:
    return {"s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_mb": round(peak / 2**20)}


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def serve_edit(root: Path, edits: int = 3) -> dict:
    """Median seconds from writing an article to the preview serving its new HTML."""
    import psutil

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    article = _first_article(root)
    url = f"http://127.0.0.1:{port}/" + article.relative_to(root / "content").with_suffix(".html").as_posix()
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "NO_MKDOCS_2_WARNING": "1"}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [*KBSITE, "serve", "-p", str(port)], cwd=root, env=env, stdout=log, stderr=log
        )
        peak, times = 0, []

        def sample() -> None:
            nonlocal peak
            try:
                ps = psutil.Process(proc.pid)
                peak = max(peak, sum(p.memory_info().rss for p in [ps, *ps.children(recursive=True)]))
            except psutil.Error:
                pass

        def served() -> str:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    return r.read().decode()
            except OSError:
                return ""

        try:
            start = time.perf_counter()
            while "<html" not in served():
                if proc.poll() is not None or time.perf_counter() - start > 600:
                    log.seek(0)
                    raise RuntimeError(f"kbsite serve did not start:\n{log.read().decode()[-3000:]}")
                sample()
                time.sleep(0.1)
            first = time.perf_counter() - start
            original = article.read_text(encoding="utf-8")
            for n in range(edits):
                time.sleep(1.5)  # let the watcher settle between edits
                marker = f"Edited for the bench, round {n}."
                article.write_text(original + f"\n{marker}\n", encoding="utf-8")
                start = time.perf_counter()
                while marker not in served():
                    if time.perf_counter() - start > 600:
                        raise RuntimeError("kbsite serve never showed the edit")
                    sample()
                    time.sleep(0.05)
                times.append(time.perf_counter() - start)
            article.write_text(original, encoding="utf-8")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {
        "first_build_s": round(first, 1),
        "edit_to_visible_s": round(statistics.median(times), 2),
        "edit_runs_s": [round(t, 2) for t in times],
        "peak_rss_mb": round(peak / 2**20),
    }


def bench_handbook(n: int, work: Path, full_build: bool) -> dict:
    """The handbook and editing-loop rows at `n` articles (site-only builds are bench_size's)."""
    root = work / f"kb-{n}" / "handbook"
    shutil.rmtree(root, ignore_errors=True)
    synth.write_kb(root, n)
    result: dict = {"articles": n}
    if full_build:
        _fresh(root)
        result["build_cold"] = _row(*run_measured([*KBSITE, "build"], root))
        print(f"  {n:>5} build cold   {result['build_cold']}", flush=True)
        result["build_warm"] = _row(*run_measured([*KBSITE, "build"], root))
        print(f"  {n:>5} build warm   {result['build_warm']}", flush=True)
        article = _first_article(root)
        original = article.read_text(encoding="utf-8")
        article.write_text(original + "\nOne more sentence, edited for the bench.\n", encoding="utf-8")
        result["build_one_edit"] = _row(*run_measured([*KBSITE, "build"], root))
        print(f"  {n:>5} one edit     {result['build_one_edit']}", flush=True)
        article.write_text(original, encoding="utf-8")
    _fresh(root)
    result["pdf_cold"] = _row(*run_measured([*KBSITE, "pdf"], root))
    pdf = next((root / "site" / "downloads").glob("*.pdf"))
    result["pdf_cold"].update(pages=_pages(pdf), pdf_mb=round(pdf.stat().st_size / 2**20, 2))
    print(f"  {n:>5} pdf cold     {result['pdf_cold']}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plain.json"
        result["plain_weasyprint"] = _row(
            *run_measured([sys.executable, "-m", "kbsite.dev.plainpdf", str(root), str(out)], root)
        )
        result["plain_weasyprint"].update(json.loads(out.read_text(encoding="utf-8")))
    print(f"  {n:>5} plain        {result['plain_weasyprint']}", flush=True)
    result["pdf_vs_plain"] = round(result["pdf_cold"]["s"] / result["plain_weasyprint"]["s"], 2)
    # The preview starts with the handbook just made in the cache (the usual case).
    result["serve"] = serve_edit(root)
    print(f"  {n:>5} serve        {result['serve']}", flush=True)
    return result


def table(rows: list[dict], site_only: dict[int, float]) -> str:
    lines = []
    for r in rows:
        n = r["articles"]
        if "build_cold" in r:
            warm, site = r["build_warm"]["s"], site_only.get(n)
            ratio = f" = {warm / site:.2f}× the site-only build ({site:.1f} s)" if site else ""
            lines.append(
                f"{n} articles, kbsite build with handbook: cold {r['build_cold']['s']:.1f} s "
                f"({r['build_cold']['peak_rss_mb']} MB), warm {warm:.1f} s "
                f"({r['build_warm']['peak_rss_mb']} MB){ratio}; after one edited article "
                f"{r['build_one_edit']['s']:.1f} s ({r['build_one_edit']['peak_rss_mb']} MB)"
            )
        p, plain = r["pdf_cold"], r["plain_weasyprint"]
        lines.append(
            f"{n} articles, handbook cold (kbsite pdf): {p['s']:.1f} s, CPU {p['cpu_s']:.1f} s, "
            f"peak {p['peak_rss_mb']} MB, {p['pages']} pages, {p['pdf_mb']} MB; plain WeasyPrint "
            f"{plain['s']:.1f} s (layout {plain['layout_s']} s + write {plain['write_s']} s), "
            f"peak {plain['peak_rss_mb']} MB; ratio {r['pdf_vs_plain']:.2f}×"
        )
        s = r["serve"]
        lines.append(
            f"{n} articles, kbsite serve: edit to visible {s['edit_to_visible_s']:.2f} s "
            f"(runs {', '.join(str(t) for t in s['edit_runs_s'])}), first build {s['first_build_s']:.1f} s, "
            f"peak {s['peak_rss_mb']} MB"
        )
    return "\n".join(lines)
