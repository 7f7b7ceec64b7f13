"""Page numbers for the handbook's references, found by kbsite rather than by WeasyPrint.

WeasyPrint can print them itself (CSS `target-counter`), but then lays most pages
out three or four times: every change of a target's page (and of the page total,
which every page's counters carry) marks each page that prints a reference as
changed. Here the book is laid out once, in two halves on two cores, with
placeholder numbers, and once more, in one piece, with the real numbers:

1. The book is cut into sheets, the parts that start on a new page (cover,
   contents, a chapter's head with its first article, each further article,
   glossary, tool index). A sheet takes the same pages wherever it stands; only
   the width of the numbers it prints can change that, and DejaVu's digits are
   all equally wide, so a placeholder with as many digits lays out the same.
2. The sheets are laid out with placeholders whose digit count is estimated;
   sheets whose estimate proves wrong are laid out again until none is.
3. The whole book is laid out with the numbers, and every number is checked
   against the pages of that final layout. If one moved (a layout that differs
   in context), it is laid out again with the corrected numbers; if that does not
   settle, WeasyPrint's own `target-counter` gives the numbers.

In parts (from PARTS_MIN_ARTICLES), each part is laid out once instead, its numbers
written in afterwards (kbsite.outputs.standins); the steps above remain for the books
and parts that cannot be written that way.

The template marks each sheet's start with `<!--sheet:ID-->`, ID being the first
id on its first page, and gives every link that prints a page a `data-page`.
"""

from __future__ import annotations

import bisect
import gc
import logging
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, as_completed, wait
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .bookparts import PartStore
    from .standins import Slots

log = logging.getLogger("mkdocs.plugins.kbsite.handbook")

SHEET_RE = re.compile(r"<!--sheet:([^>]+?)-->")
LINK_RE = re.compile(r"<a\b[^>]*\bdata-page=\"[^\"]*\"[^>]*>")
HREF_RE = re.compile(r"\bhref=\"#([^\"]+)\"")
PAGE_RE = re.compile(r"\s?\bdata-page=\"[^\"]*\"")
ID_RE = re.compile(r"\sid=\"([^\"]+)\"")

# A first guess of the HTML bytes one page holds, only to guess how many digits a
# page number has; a wrong guess costs a second layout of the sheets it touches.
BYTES_PER_PAGE = 4000
# Below this many articles a second process costs more than it saves.
PARALLEL_MIN_ARTICLES = 30
# From this many articles the book is laid out and written in parts (kbsite.outputs.bookparts):
# the parts depend on the content only, so one core or two give the same bytes.
PARTS_MIN_ARTICLES = 30
FIX_ROUNDS = 4  # rounds of laying out again the sheets with mis-guessed digit counts
FINAL_ROUNDS = 2  # layouts of the whole book before WeasyPrint is left to number the pages
GUESS_ROUNDS = 3  # rounds of parts from the previous build's numbers before counting the sheets
END = ""  # in a book's page numbers (id -> page), its last page: no id is empty
# What the server that forks the parts' processes imports once for all of them.
PRELOAD = ["weasyprint", "pypdf", "fontTools.ttLib", "kbsite.outputs.bookparts", "kbsite.outputs.standins"]

# Also for a book from an overriding template without sheet marks or data-page.
FALLBACK_CSS = """<style>
a.kb-xref::after, a.kb-xref[data-page]::after { content: " (see p.\\a0" target-counter(attr(href), page) ")"; }
a.page-ref::after, a.page-ref[data-page]::after { content: ", p.\\a0" target-counter(attr(href), page); }
a.index-ref::after, a.index-ref[data-page]::after { content: target-counter(attr(href), page); }
.toc a::after, .toc a[data-page]::after { content: leader(". ") target-counter(attr(href), page); }
</style>
"""


class Book:
    """The book's HTML cut into its head, its sheets and its tail."""

    def __init__(self, html: str):
        marks = list(SHEET_RE.finditer(html))
        if not marks:
            raise ValueError("handbook: the book template marks no <!--sheet:ID--> starts")
        end = html.rindex("</body>")
        self.head, self.tail = html[: marks[0].start()], html[end:]
        self.ids = [m.group(1) for m in marks]
        bounds = [m.start() for m in marks] + [end]
        self.sheets = [html[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
        self.names = [ID_RE.findall(sheet) for sheet in self.sheets]  # the ids in each sheet
        self.sheet_of = {name: i for i, names in enumerate(self.names) for name in names}
        self.refs = [
            sorted({m.group(1) for t in LINK_RE.findall(s) if (m := HREF_RE.search(t))}) for s in self.sheets
        ]

    def html(self, sheets: list[int], numbers: Callable[[str], str | None]) -> str:
        return self.head + "".join(fill(self.sheets[i], numbers) for i in sheets) + self.tail


def fill(html: str, numbers: Callable[[str], str | None]) -> str:
    """Write each link's page into its data-page; drop it where there is none to give."""

    def one(m: re.Match) -> str:
        tag = m.group(0)
        href = HREF_RE.search(tag)
        value = numbers(href.group(1)) if href else None
        if value is None:
            return PAGE_RE.sub("", tag)
        return PAGE_RE.sub(f' data-page="{value}"', tag, count=1)

    return LINK_RE.sub(one, html)


def layout(html: str, base: str) -> tuple[int, dict[str, int]]:
    """Lay out `html`: its page count and the page index where each id stands.

    WeasyPrint's messages are left to the final layout, which repeats them all.
    """
    from .weasy import anchors, render

    weasyprint_log = logging.getLogger("weasyprint")
    level = weasyprint_log.level
    weasyprint_log.setLevel(logging.CRITICAL)
    try:
        result = anchors(render(html, Path(base)))
    finally:
        weasyprint_log.setLevel(level)
    gc.collect()  # the layout's reference cycles, left while the collector was paused
    return result


def _written(
    parts: list[Slots], counts: list[int], pages: dict[str, int]
) -> tuple[list[tuple[list[list[str]], dict[str, list[int]]]], list[int]]:
    """What to write into each part's stand-ins (page by page, with its digits' glyphs),
    from the parts' page `counts` and every id's page; and the parts laid out with another
    number of digits than that, to lay out again."""
    from .standins import FOLIO

    values, wrong, first = [], [], 1
    for i, ((slots, glyphs), count) in enumerate(zip(parts, counts, strict=True)):
        numbers = [
            [str(first + k) if target == FOLIO else str(pages.get(target, "")) for target, _ in page]
            for k, page in enumerate(slots)
        ]
        if [len(n) for page in numbers for n in page] != [digits for page in slots for _, digits in page]:
            wrong.append(i)
        values.append((numbers, glyphs))
        first += count
    return values, wrong


class Unsettled(Exception):
    """The sheets do not lay out as the book expects (e.g. a sheet's first id is not shown)."""


def _warm() -> None:
    import weasyprint  # noqa: F401 (the import is the work: done while the book is written)


class Progress:
    """Parts done out of all, and seconds since the start, on a terminal; nothing otherwise
    (`kbsite build` and `kbsite pdf` print one summary line at the end)."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.start = time.monotonic()
        self.shown = False

    def show(self, stage: str, done: int, total: int) -> None:
        if self.live:
            elapsed = time.monotonic() - self.start
            self.stream.write(f"\rhandbook: {done}/{total} parts {stage}, {elapsed:.0f} s ")
            self.stream.flush()
            self.shown = True

    def end(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.shown = False


class Numberer:
    """Lays out the handbook with its page numbers; start it early so its worker is ready.

    `workers`: 1 lays out everything in this process; None uses a second one when
    there is a second core.
    """

    def __init__(
        self,
        workers: int | None = None,
        bytes_per_page: int = BYTES_PER_PAGE,
        final_rounds: int = FINAL_ROUNDS,
        parts: bool = False,
        guess: dict[str, int] | None = None,
        store: PartStore | None = None,
    ):
        from .bookparts import PartStore

        self.bytes_per_page = bytes_per_page
        self.final_rounds = final_rounds
        self.parts = parts
        self.guess = guess
        self.store = store or PartStore(None, "")
        self.numbers: dict[str, int] = {}  # id -> page, once written in parts (the next guess)
        if workers is None:
            workers = min(2, len(os.sched_getaffinity(0)))
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        spawn = multiprocessing.get_context("spawn")
        if workers > 1 and parts:
            # Every part goes to a fresh process: a process keeps the memory of its biggest
            # layout, and two long-lived workers held 700 MB of it (kbsite pdf at 300 articles)
            # while this process joined the parts. Each is forked from a server that imported
            # WeasyPrint once, where a spawned process imported it for each part (0.6 s).
            server = multiprocessing.get_context("forkserver")
            server.set_forkserver_preload(PRELOAD)
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=server, max_tasks_per_child=1)
        elif workers > 1:
            # One worker lays out a half while this process lays out the other.
            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=spawn)
            self.pool.submit(_warm)
        self.rounds: dict[str, int] = {}
        self.progress = Progress()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None
        self.progress.end()

    def write(self, html: str, base: Path) -> tuple[bytes, int]:
        """The PDF and its page count: in parts (kbsite.outputs.bookparts) when `parts`
        and the book has chapters, else from one layout of the whole book.

        In parts, the page numbers of the previous build (`guess`) are tried first: when
        they still hold, no sheet is counted and unchanged parts come from `store`.
        """
        from . import bookparts, standins
        from .weasy import paused_gc

        pages: dict[str, int] | None = None
        if self.parts and SHEET_RE.search(html):
            book = Book(html)
            groups = bookparts.cut(book.ids, [len(sheet) for sheet in book.sheets])
            written = None
            if standins.supported():
                written = self._write_stand_ins(book, groups, self.guess, base)
            if written is None and self.guess:
                written = self._write_parts(book, groups, self.guess, base, GUESS_ROUNDS)
            if written is None:
                try:
                    pages = self._sheet_pages(book, base, groups)
                    written = self._write_parts(book, groups, pages, base, self.final_rounds)
                except Unsettled:
                    pages = None
            if written is not None:
                self.close()
                return written
            log.info("handbook: the parts' page numbers did not settle; laying out the whole book")
        document = self.render(html, base, pages)
        with paused_gc():
            # The file identifier is an MD5 of the PDF's own objects: set by content, not time.
            pdf = document.write_pdf(pdf_identifier=True, pdf_tags=True)
        return pdf, len(document.pages)

    def _estimate(self, book: Book, groups: list[list[int]], results: list) -> dict[str, int]:
        """Each id's page (and the book's last, END): counted in the parts laid out so far,
        guessed from the size of the others' sheets (at the pages per byte found so far)."""
        done = [(g, r) for g, r in zip(groups, results, strict=True) if r is not None]
        laid_bytes = sum(len(book.sheets[i]) for g, _ in done for i in g)
        laid_pages = sum(r[1] for _, r in done)
        per_page = laid_bytes / laid_pages if laid_pages else self.bytes_per_page
        pages, first = {}, 1
        for group, result in zip(groups, results, strict=True):
            if result is not None:
                members = set(group)
                pages.update({n: first + k for n, k in result[2].items() if book.sheet_of.get(n) in members})
                first += result[1]
                continue
            for i in group:
                pages.update(dict.fromkeys(book.names[i], first))
                first += max(1, round(len(book.sheets[i]) / per_page))
        pages[END] = first - 1
        return pages

    def _write_stand_ins(
        self, book: Book, groups: list[list[int]], guess: dict[str, int] | None, base: Path
    ) -> tuple[bytes, int] | None:
        """Each part laid out once, its numbers as stand-ins with as many digits as they are
        expected to have (kbsite.outputs.standins), and again only where a number proves to
        have more or fewer; None when a part's numbers cannot be written in that way.

        The parts are laid out in the book's order, each made when a worker takes it, so
        it sees the pages of the parts before it (and guesses fewer digits wrong)."""
        from . import bookparts, standins

        htmls = [""] * len(groups)
        results: list = [None] * len(groups)
        todo = list(range(len(groups)))
        guessed = guess
        counted = guess is not None  # whether the pages known are those of a whole book laid out

        def prepare(i: int) -> str:
            # The last build's numbers, in the first round (most parts then come from the store).
            pages = guessed or self._estimate(book, groups, results)
            first = pages.get(book.ids[groups[i][0]], 1)
            later = [pages[book.ids[g[0]]] - 1 for g in groups[i + 1 :] if book.ids[g[0]] in pages]
            last = max(first, later[0] if later else pages.get(END, first))
            if not counted:  # a part's last page is only guessed: lay it out as if the digits held
                last = first
            digits = {name: standins.zeros(n) for name, n in pages.items() if name != END}
            html = book.html(groups[i], digits.get)
            htmls[i] = bookparts.part_html(
                html, standins.folio_start(first, last), *self._inside(book, groups[i])
            )
            return htmls[i]

        for _ in range(FIX_ROUNDS):
            fresh = 0
            for i, result in self._in_order(todo, prepare, base):
                fresh += result is not None
                results[i] = result or self.store.get(htmls[i])
            guessed, counted = None, True
            self._count_round(fresh)
            written = [slots for *_, slots in results if slots is not None]
            if len(written) < len(groups):
                log.info("handbook: a part's page numbers cannot be written in; laying out the parts twice")
                return None
            actual = bookparts.actual_pages(book.sheet_of, groups, [(r[1], r[2]) for r in results])
            actual[END] = sum(r[1] for r in results)
            values, todo = _written(written, [r[1] for r in results], actual)
            if not todo:
                return self._join(book, groups, htmls, results, actual, values)
            log.info("handbook: %d parts laid out again with more or fewer digits", len(todo))
        return None

    def _count_round(self, laid_out: int) -> None:
        self.rounds["parts"] = self.rounds.get("parts", 0) + 1
        self.rounds["parts laid out"] = self.rounds.get("parts laid out", 0) + laid_out

    def _join(
        self,
        book: Book,
        groups: list[list[int]],
        htmls: list[str],
        results: list,
        pages: dict[str, int],
        values: list[tuple[list[list[str]], dict[str, list[int]]]] | None = None,
    ) -> tuple[bytes, int]:
        """The settled parts joined (their stand-ins written in, with `values`), kept in the
        store, and `pages` kept as the next build's guess; with the workers gone first."""
        from . import bookparts

        self.close()  # no worker waits (holding memory) through the join
        self.store.keep(htmls)
        self.numbers = pages
        inside = [bookparts.inside_chapter(book.ids[g[0]]) for g in groups]
        joined = bookparts.join([r[0] for r in results], [set(r[2]) for r in results], inside, values)
        return joined, sum(r[1] for r in results)

    def _in_order(self, todo: list[int], prepare: Callable[[int], str], base: Path):
        """(part, result) for the parts `todo`, laid out in order as stand-ins; a part's HTML is
        prepared when a worker is free for it. The result is None when the store had the part."""
        from . import bookparts

        pending, running = list(todo), dict[Future, tuple[int, str]]()
        done, slots = 0, self.workers if self.pool is not None else 1
        while pending or running:
            while pending and len(running) < slots:
                i = pending.pop(0)
                html = prepare(i)
                if self.store.get(html) is not None:
                    done += 1
                    yield i, None
                elif self.pool is None:
                    result = bookparts.lay_out_and_write(html, str(base), True)
                    self.store.put(html, result)
                    done += 1
                    self.progress.show("laid out", done, len(todo))
                    yield i, result
                else:
                    running[self.pool.submit(bookparts.lay_out_and_write, html, str(base), True)] = (i, html)
            if running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=lambda f: running[f][0]):
                    i, html = running.pop(future)
                    result = future.result()
                    self.store.put(html, result)
                    done += 1
                    self.progress.show("laid out", done, len(todo))
                    yield i, result

    def _write_parts(
        self, book: Book, groups: list[list[int]], pages: dict[str, int], base: Path, rounds: int
    ) -> tuple[bytes, int] | None:
        """Each part laid out with the numbers `pages` and written, until every number it
        prints and its first page are those of the parts' own layouts; None if they do not settle."""
        from . import bookparts

        for _ in range(rounds):
            if any(book.ids[g[0]] not in pages for g in groups):
                return None
            firsts = [pages[book.ids[g[0]]] for g in groups]
            numbers = {name: str(n) for name, n in pages.items()}
            htmls = [
                bookparts.part_html(book.html(g, numbers.get), f, *self._inside(book, g))
                for g, f in zip(groups, firsts, strict=True)
            ]
            todo = [i for i, h in enumerate(htmls) if self.store.get(h) is None]
            done = self._run([(bookparts.lay_out_and_write, (htmls[i], str(base))) for i in todo], "laid out")
            for i, result in zip(todo, done, strict=True):
                self.store.put(htmls[i], result)
            results = [r for h in htmls if (r := self.store.get(h)) is not None]
            self._count_round(len(todo))
            actual = bookparts.actual_pages(book.sheet_of, groups, [(c, f) for _, c, f, _ in results])
            if bookparts.settled(book.ids, book.refs, groups, pages, actual):
                return self._join(book, groups, htmls, results, actual)
            log.info("handbook: page numbers moved in the parts; laying them out again")
            pages = actual
        return None

    @staticmethod
    def _inside(book: Book, group: list[int]) -> tuple[str | None, str]:
        """For a part that starts inside a chapter: the chapter's running header, its first id."""
        from . import bookparts

        name = book.ids[group[0]]
        if not bookparts.inside_chapter(name):
            return None, ""
        return bookparts.running_chapter(book.ids, book.sheets, group[0]), name

    def _run(self, jobs: list[tuple[Callable, tuple]], stage: str) -> list:
        """Results of `jobs` (function, (html, ...)) in order, biggest first for an even split.

        In parts, all go to the pool; else one goes to the worker and the rest run here.
        """
        order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][1][0]))
        results: list = [None] * len(jobs)
        futures: dict[int, Future] = {}
        done = 0
        for i in order:
            fn, args = jobs[i]
            if self.pool is not None and (self.parts or not futures):
                futures[i] = self.pool.submit(fn, *args)
            else:
                results[i] = fn(*args)
                done += 1
                self.progress.show(stage, done, len(jobs))
        index = {future: i for i, future in futures.items()}
        for future in as_completed(futures.values()):
            results[index[future]] = future.result()
            done += 1
            self.progress.show(stage, done, len(jobs))
        return results

    def render(self, html: str, base: Path, pages: dict[str, int] | None = None):
        """The final WeasyPrint document, every printed page number checked against it."""
        from .weasy import anchors, render

        if not SHEET_RE.search(html):
            return self._fallback(html, base, "the book template marks no sheets")
        try:
            book = Book(html)
            if pages is None:
                pages = self._sheet_pages(book, base)
        except Unsettled as exc:
            return self._fallback(html, base, str(exc))
        finally:
            self.close()
        for _ in range(self.final_rounds):
            self.rounds["final"] = self.rounds.get("final", 0) + 1
            numbers = {name: str(n) for name, n in pages.items()}
            document = render(book.html(list(range(len(book.sheets))), numbers.get), base)
            log.debug("handbook: final layout done")
            _, found = anchors(document)
            moved = {
                name
                for sheet in book.refs
                for name in sheet
                if name in found and (name not in numbers or numbers[name] != str(found[name] + 1))
            }
            if not moved:
                return document
            log.info("handbook: %d page numbers moved in the final layout; laying out again", len(moved))
            pages = {name: i + 1 for name, i in found.items()}
        return self._fallback(html, base, "page numbers did not settle")

    def _fallback(self, html: str, base: Path, why: str):
        from .weasy import render

        self.close()
        log.info("handbook: %s; WeasyPrint's target-counter gives the page numbers", why)
        self.rounds["fallback"] = 1
        return render(html.replace("</head>", FALLBACK_CSS + "</head>", 1), base)

    def _sheet_pages(self, book: Book, base: Path, groups: list[list[int]] | None = None) -> dict[str, int]:
        """Page number of every id, from layouts of the sheets with placeholder numbers.

        The sheets are laid out in `groups` (default: two halves of about equal size).
        """
        n = len(book.sheets)
        estimate, start = {}, 1
        for i, sheet in enumerate(book.sheets):
            estimate[i] = start
            start += -(-len(sheet) // self.bytes_per_page)
        digits = {name: len(str(estimate[i])) for name, i in book.sheet_of.items()}
        used: list[dict[str, int]] = [{} for _ in range(n)]  # digits each sheet was laid out with
        count = [0] * n
        offset: dict[str, int] = {}  # id -> page within its sheet

        def lay(sheets: list[int], result: tuple[int, dict[str, int]]) -> None:
            total, found = result
            starts = [found.get(book.ids[i], -1) for i in sheets]
            if starts != sorted(set(starts)) or starts[0] < 0:
                raise Unsettled("sheets do not start where their first ids stand")
            for k, i in enumerate(sheets):
                count[i] = (starts[k + 1] if k + 1 < len(sheets) else total) - starts[k]
                used[i] = {name: digits.get(name, 0) for name in book.refs[i]}  # 0: printed none
            for name, page in found.items():
                k = bisect.bisect_right(starts, page) - 1
                if book.sheet_of.get(name) == sheets[k]:
                    offset[name] = page - starts[k]

        def placeholders(name: str) -> str | None:
            return "0" * digits[name] if name in digits else None  # no such id: no page printed

        if groups is None:
            # Two halves of about equal size, one on the worker.
            sizes = [len(s) for s in book.sheets]
            half = sum(sizes) / 2
            cut = next((i for i in range(1, n) if sum(sizes[:i]) >= half), n)
            groups = [list(range(cut)), list(range(cut, n))] if self.pool and cut < n else [list(range(n))]
        results = self._run([(layout, (book.html(g, placeholders), str(base))) for g in groups], "counted")
        for g, result in zip(groups, results, strict=True):
            lay(g, result)
        log.debug("handbook: all sheets laid out")
        self.sheet_counts = count
        self.rounds["sheets"] = 1
        for _ in range(FIX_ROUNDS):
            first = [1]
            for i in range(n - 1):
                first.append(first[-1] + count[i])
            pages = {name: first[book.sheet_of[name]] + off for name, off in offset.items()}
            digits = {name: len(str(p)) for name, p in pages.items()}
            wrong = [
                i for i in range(n) if any(used[i][name] != digits.get(name, 0) for name in book.refs[i])
            ]
            if not wrong:
                return pages
            log.info("handbook: %d sheets laid out again with more or fewer digits", len(wrong))
            self.rounds["sheets"] += 1
            # In a worker when there is one: a layout here would stay in this process's memory.
            lay(wrong, self._run([(layout, (book.html(wrong, placeholders), str(base)))], "counted")[0])
        return pages  # still unsettled: the final layout's check corrects it
