"""The benchmark behind `scripts/bench`: kbsite against stock mkdocs-material.

For each size it generates a synthetic knowledge base (kbsite.dev.synth), builds
it cold with kbsite and the same Markdown with stock Material (with and
without navigation.prune), alternating, and measures wall time, peak RSS of
the build's process tree, site and page sizes and the search index. In
headless Chromium from file:// it counts the files an article page loads and
times search from the first key press to the first results. It prints one
table and writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import synth
from .bench_search import bench_search_size
from .bench_search import table as search_table

EPOCH = "1767225600"
STOCK_FULL_LIMIT = 1000  # stock full navigation at 3,000 articles: ~10 min and >1 GB here


def run_measured(cmd: list[str], cwd: Path) -> tuple[float, int, float]:
    """Run `cmd`; return wall seconds, peak RSS (bytes) of its process tree, and the
    CPU seconds (user + system) of the whole tree: kbsite builds on two cores.

    The CPU is each process's own time as last sampled, summed (or the reaped children's
    time, when higher): the handbook's workers are forked by multiprocessing's server,
    which nobody waits for, so their time never reaches this process's rusage."""
    import resource

    import psutil

    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "NO_MKDOCS_2_WARNING": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    ps = psutil.Process(proc.pid)
    seen: dict[int, float] = {}  # pid -> its own CPU seconds, last sampled
    while proc.poll() is None:
        rss = 0
        for p in [ps, *ps.children(recursive=True)]:
            try:
                with p.oneshot():
                    rss += p.memory_info().rss
                    times = p.cpu_times()
                seen[p.pid] = times.user + times.system
            except psutil.Error:
                pass
        peak = max(peak, rss)
        time.sleep(0.05)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = max(sum(seen.values()), (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed in {cwd}:\n{err[-3000:]}")
    return wall, peak, cpu


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def article_pages(site: Path, kb_root: Path) -> list[int]:
    sizes = []
    for md in sorted((kb_root / "content").glob("*/*.md")):
        html = site / md.relative_to(kb_root / "content").with_suffix(".html")
        sizes.append(html.stat().st_size)
    return sizes


def _kb_config(root: Path) -> None:
    """Site builds leave the handbook out (timed on its own) when the option exists."""
    from ..site.config import KbConfig

    if "handbook" in dict(KbConfig._schema):
        synth.kbsite_option(root, "handbook: false")


def _browser():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    return pw, browser


LONGTASKS = """
window.__kbLong = [];
new PerformanceObserver(list => { for (const e of list.getEntries()) window.__kbLong.push([e.startTime, e.duration]); })
  .observe({type: 'longtask', buffered: true});
"""


def files_loaded(browser, page_file: Path) -> int:
    """Files an article page loads from file:// (itself included), before any interaction."""
    page = browser.new_page()
    seen: set[str] = set()
    page.on("request", lambda r: seen.add(r.url))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(800)
    page.close()
    return len(seen)


def bench_size(n: int, work: Path, rounds: int, stock_full: bool, browser) -> dict:
    root = work / f"kb-{n}"
    shutil.rmtree(root, ignore_errors=True)
    synth.write_kb(root / "kbsite", n)
    _kb_config(root / "kbsite")
    synth.write_stock(root / "kbsite", root / "stock-prune", prune=True)
    if stock_full:
        synth.write_stock(root / "kbsite", root / "stock-full", prune=False)
    kinds = {
        "kbsite": ([sys.executable, "-m", "kbsite.cli", "build"], root / "kbsite"),
        "stock_prune": ([sys.executable, "-m", "mkdocs", "build", "-q"], root / "stock-prune"),
    }
    if stock_full:
        kinds["stock_full"] = ([sys.executable, "-m", "mkdocs", "build", "-q"], root / "stock-full")
    times: dict[str, list[float]] = {k: [] for k in kinds}
    cpus: dict[str, list[float]] = {k: [] for k in kinds}
    peaks: dict[str, int] = {k: 0 for k in kinds}
    for _ in range(rounds):  # alternate, so a busy moment hits every builder alike
        for kind, (cmd, cwd) in kinds.items():
            shutil.rmtree(cwd / "site", ignore_errors=True)
            wall, peak, cpu = run_measured(cmd, cwd)
            times[kind].append(wall)
            cpus[kind].append(cpu)
            peaks[kind] = max(peaks[kind], peak)
            print(f"  {n:>5} {kind:<12} {wall:6.1f} s  {peak / 2**20:6.0f} MB  (CPU {cpu:.1f} s)", flush=True)
    result: dict = {"articles": n, "rounds": rounds}
    for kind, (_, cwd) in kinds.items():
        site = cwd / "site"
        pages = article_pages(site, root / "kbsite")
        index = site / "search"
        result[kind] = {
            "build_s": round(statistics.median(times[kind]), 2),
            "build_runs_s": [round(t, 2) for t in times[kind]],
            "cpu_s": round(statistics.median(cpus[kind]), 2),
            "peak_rss_mb": round(peaks[kind] / 2**20, 1),
            "site_mb": round(dir_size(site) / 2**20, 1),
            "article_page_avg_kb": round(sum(pages) / len(pages) / 1024, 1),
            "article_page_max_kb": round(max(pages) / 1024, 1),
            "search_index_mb": round(dir_size(index) / 2**20, 2) if index.exists() else 0,
        }
    first = sorted((root / "kbsite" / "site").glob("network/*.html"))[0]
    result["kbsite"]["files_per_page"] = files_loaded(browser, first)
    stock_first = root / "stock-prune" / "site" / first.relative_to(root / "kbsite" / "site")
    result["stock_prune"]["files_per_page"] = files_loaded(browser, stock_first)
    for kind in ("stock_prune", "stock_full"):
        if kind in result:
            result[f"ratio_{kind}"] = round(result["kbsite"]["build_s"] / result[kind]["build_s"], 3)
    return result


def bench_languages(n: int, work: Path, rounds: int) -> dict:
    """The site (no handbook) in one language and in three (every article translated into ja
    and fa), cold, alternating; the issue's target: three languages in at most 3.3 times one's."""
    root = work / f"languages-{n}"
    shutil.rmtree(root, ignore_errors=True)
    for name in ("one", "three"):
        synth.write_kb(root / name, n)
        _kb_config(root / name)
    synth.write_translations(root / "three")
    cmd = [sys.executable, "-m", "kbsite.cli", "build"]
    times: dict[str, list[float]] = {"one": [], "three": []}
    cpus: dict[str, list[float]] = {"one": [], "three": []}
    for _ in range(rounds):
        for name in times:
            shutil.rmtree(root / name / "site", ignore_errors=True)
            wall, peak, cpu = run_measured(cmd, root / name)
            times[name].append(wall)
            cpus[name].append(cpu)
            print(
                f"  {n:>5} {name + ' language(s)':<18} {wall:6.1f} s  {peak / 2**20:6.0f} MB  (CPU {cpu:.1f} s)"
            )
    one, three = statistics.median(times["one"]), statistics.median(times["three"])
    cpu_one, cpu_three = statistics.median(cpus["one"]), statistics.median(cpus["three"])
    return {
        "articles": n,
        "rounds": rounds,
        "one_language_s": round(one, 2),
        "three_languages_s": round(three, 2),
        "ratio": round(three / one, 3),
        "one_language_cpu_s": round(cpu_one, 2),
        "three_languages_cpu_s": round(cpu_three, 2),
        "cpu_ratio": round(cpu_three / cpu_one, 3),
        "pages": {name: sum(1 for _ in (root / name / "site").rglob("*.html")) for name in times},
    }


def table(results: dict) -> str:
    if not results["sizes"]:  # --search-only
        return search_table(results["search"])
    rows = [
        (
            "articles",
            "builder",
            "build s",
            "ratio",
            "CPU s",
            "peak MB",
            "site MB",
            "avg page KB",
            "max page KB",
            "index MB",
            "files/page",
        )
    ]
    for r in results["sizes"]:
        for kind in ("kbsite", "stock_prune", "stock_full"):
            if kind not in r:
                continue
            m = r[kind]
            ratio = "" if kind == "kbsite" else f"{r['ratio_' + kind]:.2f}×"
            rows.append(
                (
                    str(r["articles"]),
                    kind.replace("_", " "),
                    f"{m['build_s']:.1f}",
                    ratio,
                    f"{m.get('cpu_s', 0):.1f}",
                    f"{m['peak_rss_mb']:.0f}",
                    f"{m['site_mb']:.1f}",
                    f"{m['article_page_avg_kb']:.1f}",
                    f"{m['article_page_max_kb']:.1f}",
                    f"{m['search_index_mb']:.2f}",
                    str(m.get("files_per_page", "")),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    ratios = ", ".join(
        f"{results['sizes'][i + 1]['articles']}/{results['sizes'][i]['articles']}: "
        f"{results['sizes'][i + 1]['kbsite']['build_s'] / results['sizes'][i]['kbsite']['build_s']:.2f}×"
        for i in range(len(results["sizes"]) - 1)
    )
    if ratios:
        lines.append(f"kbsite build time growth: {ratios}")
    if results["search"]:
        lines.append(search_table(results["search"]))
    if results.get("handbook"):
        from .bench_handbook import table as handbook_table

        site_only = {r["articles"]: r["kbsite"]["build_s"] for r in results["sizes"]}
        lines.append(handbook_table(results["handbook"], site_only))
    else:
        lines.append("handbook and editing loop: not measured (--quick or --handbook-sizes '')")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="only 300 articles, one round (under two minutes)")
    ap.add_argument("--sizes", default="300,1000,3000")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds for sizes up to 1,000")
    ap.add_argument(
        "--stock-full-3000", action="store_true", help="also build stock full navigation above 1,000"
    )
    ap.add_argument(
        "--handbook-sizes",
        default="300,1000",
        help="sizes for the handbook and `kbsite serve` rows (full builds cold, warm, one edit at 300)",
    )
    ap.add_argument(
        "--languages-size",
        type=int,
        default=300,
        help="articles for the 3-language row (0: none); `--languages-only` runs only that row",
    )
    ap.add_argument("--languages-only", action="store_true")
    ap.add_argument(
        "--search-only",
        action="store_true",
        help="only kbsite builds (no handbook, no stock Material) and the search rows: search.json",
    )
    ap.add_argument("--out", default="bench/results", help="folder for the JSON")
    ap.add_argument("--work", help="keep the generated sites here (default: a temporary folder)")
    args = ap.parse_args(argv)
    with _work_folder(args.work) as work:
        if args.languages_only:
            name, results = "languages.json", bench_languages(args.languages_size, work, args.rounds)
        else:
            name = "search.json" if args.search_only else "quick.json" if args.quick else "full.json"
            results = bench_rows(args, work)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, sort_keys=True)
    (out / name).write_text(text + "\n", encoding="utf-8")
    if args.languages_only:
        print(text)
    else:
        print()
        print(table(results))
        print(f"\nJSON: {out / name}")
    return 0


@contextmanager
def _work_folder(keep: str | None) -> Iterator[Path]:
    """Where the generated sites go: `--work` (kept), else a temporary folder (removed)."""
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="kbsite-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        yield work
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def bench_rows(args: argparse.Namespace, work: Path) -> dict:
    """The run's rows: per size kbsite against stock Material (or, `--search-only`, a kbsite
    build alone) and search; then, unless --quick or --search-only, languages and handbook."""
    sizes = [300] if args.quick else [int(s) for s in args.sizes.split(",")]
    full = not args.quick and not args.search_only
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent
    ).stdout.strip()
    results: dict = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "quick": args.quick,
        "sizes": [],
        "search": [],
    }
    pw, browser = _browser()
    try:
        for n in sizes:
            root = work / f"kb-{n}" / "kbsite"
            if args.search_only:
                _kbsite_build(n, root)
            else:
                rounds = 1 if args.quick or n > 1000 else args.rounds
                stock_full = n <= STOCK_FULL_LIMIT or args.stock_full_3000
                results["sizes"].append(bench_size(n, work, rounds, stock_full, browser))
            results["search"].append(bench_search_size(n, root, browser))
        if full and args.languages_size:
            results["languages"] = bench_languages(args.languages_size, work, args.rounds)
        if full:  # the PDF alone takes over a minute at 300
            from .bench_handbook import bench_handbook

            hb_sizes = [int(s) for s in args.handbook_sizes.split(",") if s.strip()]
            results["handbook"] = [bench_handbook(n, work, full_build=n <= 300) for n in hb_sizes]
    finally:
        browser.close()
        pw.stop()
    return results


def _kbsite_build(n: int, root: Path) -> None:
    """`--search-only`: the synthetic site of `n` articles built by kbsite alone, once."""
    synth.write_kb(root, n)
    _kb_config(root)
    wall, _, _ = run_measured([sys.executable, "-m", "kbsite.cli", "build"], root)
    print(f"  {n:>5} kbsite build {wall:6.1f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
