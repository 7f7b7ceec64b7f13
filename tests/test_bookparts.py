"""The handbook in parts (kbsite.outputs.bookparts): the joined PDF reads as one layout of the
whole book would: the same text on every page, bookmarks, links, destinations and metadata."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest
from pypdf import PdfReader
from test_handbook import check_contents_pages, check_titles_and_tables, pages_text
from test_pagenumbers import mini_book

from kbsite.content import load
from kbsite.dev import synth
from kbsite.outputs import bookparts, handbook, standins
from kbsite.outputs.pagenumbers import Book, Numberer
from kbsite.site.subjects import Subject


def structure(pdf: Path) -> dict:
    """What a reader follows in a PDF: links, bookmarks, named destinations, metadata."""
    reader = PdfReader(pdf)
    dests = reader.named_destinations
    links = []
    for n, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            rect = [round(float(x), 1) for x in a["/Rect"]]
            if "/Dest" in a:
                d = dests[str(a["/Dest"])]
                target = (
                    reader.get_destination_page_number(d),
                    round(float(d.left), 1),
                    round(float(d.top), 1),
                )
                links.append((n, str(a["/Dest"]), target, rect))
            else:
                links.append((n, str(a["/A"]["/URI"]), rect))
    outline: list = []

    def walk(items, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                outline.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return {
        "links": links,
        "outline": outline,
        "dests": sorted((name, reader.get_destination_page_number(d)) for name, d in dests.items()),
        "metadata": dict(reader.metadata or {}),
        "lang": reader.trailer["/Root"].get("/Lang"),
    }


def write(html: str, content: Path, path: Path, **options) -> Numberer:
    numberer = Numberer(**options)
    try:
        pdf, pages = handbook.render_pdf(html, content, numberer)
    finally:
        numberer.close()
    path.write_bytes(pdf)
    assert pages == len(PdfReader(path).pages)
    return numberer


def test_parts_are_cut_at_chapters_and_back_matter():
    ids = ["cover", "contents", "chap-a", "art-1", "art-2", "chap-b", "art-3", "glossary", "tools"]
    groups = bookparts.cut(ids, [10] * len(ids), part_bytes=30)
    assert [ids[g[0]] for g in groups] == ["cover", "chap-a", "chap-b", "glossary"]
    assert sum(groups, []) == list(range(len(ids)))
    # Never fewer than two parts; never a part that starts inside a chapter.
    two = bookparts.cut(ids, [10] * len(ids), part_bytes=10_000)
    assert len(two) == 2 and ids[two[1][0]] in ("chap-a", "chap-b", "glossary")
    # At most part_bytes of HTML in a part (what one process holds): a longer chapter is cut
    # between its articles, into parts of its own; only a longer sheet is a longer part.
    sizes = [5, 5, 40, 30, 30, 20, 20, 15, 5]
    capped = bookparts.cut(ids, sizes, part_bytes=50)
    assert [ids[g[0]] for g in capped] == ["cover", "chap-a", "art-1", "art-2", "chap-b", "glossary"]
    assert [sum(sizes[i] for i in g) for g in capped] == [10, 40, 30, 30, 40, 20]
    assert [ids[g[0]] for g in bookparts.cut(ids, sizes, part_bytes=20)][1:4] == ["chap-a", "art-1", "art-2"]


def test_mini_in_parts_reads_as_one_layout_and_one_core_gives_the_same_bytes(
    built_mini, monkeypatch, tmp_path
):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    html, content = mini_book(built_mini)
    one = write(html, content, tmp_path / "one.pdf", workers=1)
    assert "parts" not in one.rounds
    two = write(html, content, tmp_path / "parts.pdf", workers=2, parts=True)
    assert two.rounds["parts laid out"] >= 2 and "final" not in two.rounds, two.rounds
    write(html, content, tmp_path / "parts-one-core.pdf", workers=1, parts=True)
    assert (tmp_path / "parts-one-core.pdf").read_bytes() == (tmp_path / "parts.pdf").read_bytes()
    assert pages_text(tmp_path / "parts.pdf") == pages_text(tmp_path / "one.pdf")
    assert structure(tmp_path / "parts.pdf") == structure(tmp_path / "one.pdf")
    # Parts shorter than a chapter: cut between articles, their bookmarks nested under the chapter's.
    monkeypatch.setattr(bookparts, "PART_BYTES", 2500)
    cut = write(html, content, tmp_path / "cut.pdf", workers=1, parts=True)
    assert cut.rounds["parts laid out"] > two.rounds["parts laid out"], (cut.rounds, two.rounds)
    assert pages_text(tmp_path / "cut.pdf") == pages_text(tmp_path / "one.pdf")
    assert structure(tmp_path / "cut.pdf") == structure(tmp_path / "one.pdf")


def test_subject_index_in_sheets_cut_into_parts_reads_as_one_layout(built_mini, monkeypatch, tmp_path):
    """The subject index in several sheets, parts starting between them: the same pages as one
    layout, the index's running header carried into each part (pdftotext reads the headers)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.setattr(handbook, "INDEX_SHEET_REFS", 6)
    html, content = mini_book(built_mini)
    ids, sizes = _sheets(html)
    back = ids.index("glossary")  # parts of the back matter's size: each index sheet one
    monkeypatch.setattr(bookparts, "PART_BYTES", max(sizes[back:]))
    firsts = [ids[g[0]] for g in bookparts.cut(ids, sizes)]
    assert any(name.startswith("subjects-") for name in firsts), firsts
    write(html, content, tmp_path / "parts.pdf", workers=1, parts=True)
    write(html, content, tmp_path / "one.pdf", workers=1)
    parts, one = pages_text(tmp_path / "parts.pdf"), pages_text(tmp_path / "one.pdf")
    assert parts == one
    assert sum("Subject index" in page for page in parts) >= 3
    assert structure(tmp_path / "parts.pdf") == structure(tmp_path / "one.pdf")


def test_subject_index_is_cut_between_entries_and_a_cut_letter_is_headed_again():
    entry = lambda name, refs: Subject(name, articles=list(range(refs)))  # noqa: E731
    letters = [
        ("A", [entry("a1", 2), entry("a2", 2), entry("a3", 0)]),
        ("B", [entry("b1", 3), entry("b2", 9)]),
    ]
    sheets = handbook.index_sheets(letters, limit=5)
    names = [[(letter, [e.name for e in entries]) for letter, entries in sheet] for sheet in sheets]
    # a3 has no pages: left out; b2 alone is over the limit: a sheet of its own.
    assert names == [[("A", ["a1", "a2"])], [("B", ["b1"])], [("B", ["b2"])]]


@pytest.mark.parametrize("lang", ["ja", "fa"])
def test_translated_book_in_parts_reads_as_one_layout(starter_site, monkeypatch, tmp_path, lang):
    """Stand-ins in Japanese and right to left: the numbers written in read as one layout's."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    html, content = mini_book(starter_site.parent, lang)
    assert f'lang="{lang}"' in html
    parts = write(html, content, tmp_path / "parts.pdf", workers=1, parts=True)
    assert "sheets" not in parts.rounds, parts.rounds  # each part laid out once
    write(html, content, tmp_path / "one.pdf", workers=1)
    assert pages_text(tmp_path / "parts.pdf") == pages_text(tmp_path / "one.pdf")
    assert structure(tmp_path / "parts.pdf") == structure(tmp_path / "one.pdf")


def test_parts_that_lay_out_otherwise_than_their_sheets_are_laid_out_again(built_mini, monkeypatch, tmp_path):
    """Without stand-ins (a part whose numbers cannot be written in): the sheets are counted,
    then the parts laid out with their numbers, and again where they lay out otherwise."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.setattr(standins, "supported", lambda: False)
    html, content = mini_book(built_mini)
    real = bookparts.part_html

    def larger(html: str, *args) -> str:  # parts that no longer match their sheets
        return real(html, *args).replace("</head>", "<style>p { font-size: 30pt; }</style></head>", 1)

    monkeypatch.setattr(bookparts, "part_html", larger)
    numberer = write(html, content, tmp_path / "moved.pdf", workers=1, parts=True)
    assert numberer.rounds["parts"] == 2 and "final" not in numberer.rounds, numberer.rounds
    kb = load.load(content, "Mini KB")
    check_contents_pages(tmp_path / "moved.pdf", kb)  # the numbers are those of the larger parts
    # Parts that never settle: the whole book is laid out in one piece, with the sheets' numbers.
    monkeypatch.setattr(bookparts, "settled", lambda *args: False)
    numberer = write(html, content, tmp_path / "whole.pdf", workers=1, parts=True)
    assert numberer.rounds["final"] == 1, numberer.rounds
    assert pages_text(tmp_path / "whole.pdf") == pages_text(
        built_mini / "site/downloads/mini-kb-handbook.pdf"
    )


def test_last_numbers_and_stored_parts_spare_the_work(built_mini, monkeypatch, tmp_path):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    html, content = mini_book(built_mini)
    store = bookparts.PartStore(tmp_path / "parts", "salt")
    cold = write(html, content, tmp_path / "cold.pdf", workers=1, parts=True, store=store)
    assert "sheets" not in cold.rounds and cold.numbers, cold.rounds  # no pass only to count
    stored = sorted(p.name for p in (tmp_path / "parts").iterdir())
    assert len(stored) == 2 * len(bookparts.cut(*_sheets(html)))
    # The same book again, from the last numbers: no part laid out.
    warm = write(html, content, tmp_path / "warm.pdf", workers=1, parts=True, guess=cold.numbers, store=store)
    assert warm.rounds == {"parts": 1, "parts laid out": 0}, warm.rounds
    assert (tmp_path / "warm.pdf").read_bytes() == (tmp_path / "cold.pdf").read_bytes()
    # Every page one further on (some numbers gain a digit): settled in the parts, the same bytes.
    wrong = {name: n + 1 for name, n in cold.numbers.items()}
    moved = write(html, content, tmp_path / "moved.pdf", workers=1, parts=True, guess=wrong, store=store)
    assert "sheets" not in moved.rounds and moved.rounds["parts"] == 2, moved.rounds
    assert (tmp_path / "moved.pdf").read_bytes() == (tmp_path / "cold.pdf").read_bytes()
    # A guess with a digit more everywhere: every part laid out again, to the same bytes.
    longer = {name: n + 1000 for name, n in cold.numbers.items()}
    other = bookparts.PartStore(None, "salt")
    again = write(html, content, tmp_path / "again.pdf", workers=1, parts=True, guess=longer, store=other)
    assert again.rounds == {"parts": 2, "parts laid out": len(stored)}, again.rounds
    assert (tmp_path / "again.pdf").read_bytes() == (tmp_path / "cold.pdf").read_bytes()


def _sheets(html: str) -> tuple[list[str], list[int]]:
    book = Book(html)
    return book.ids, [len(sheet) for sheet in book.sheets]


def test_numbers_that_cannot_be_written_in_lay_the_parts_out_twice(built_mini, monkeypatch, tmp_path):
    """A font whose digits differ in width (here: said to) cannot take stand-ins: the parts are
    laid out to count them, then with their numbers, as before; the book reads the same."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    html, content = mini_book(built_mini)
    plain = write(html, content, tmp_path / "stand-ins.pdf", workers=1, parts=True)
    monkeypatch.setattr(standins, "_digit_glyphs", lambda font: None)
    twice = write(html, content, tmp_path / "twice.pdf", workers=1, parts=True)
    assert twice.rounds["sheets"] == 1 and twice.rounds["parts laid out"] > plain.rounds["parts laid out"]
    assert pages_text(tmp_path / "twice.pdf") == pages_text(tmp_path / "stand-ins.pdf")
    assert structure(tmp_path / "twice.pdf") == structure(tmp_path / "stand-ins.pdf")


def test_folios_are_laid_out_from_the_smallest_number_with_their_digits():
    assert standins.folio_start(37, 52) == 10
    assert standins.folio_start(140, 190) == 100
    assert standins.folio_start(95, 104) == 95  # the digits change within the part
    assert standins.folio_start(1, 9) == 1
    assert standins.zeros(1071) == "0000"


@pytest.fixture(scope="module")
def synthetic_book(tmp_path_factory):
    """A 100-article synthetic knowledge base's book HTML, its content folder and model."""
    root = synth.write_kb(tmp_path_factory.mktemp("synth") / "kb", 100)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    # A subject index of several sheets, each over pages, some opening a part.
    refs, handbook.INDEX_SHEET_REFS = handbook.INDEX_SHEET_REFS, 400
    try:
        html, content = mini_book(root)
    finally:
        handbook.INDEX_SHEET_REFS = refs
    return html, content, load.load(content, "Synthetic KB")


def test_hundred_articles_in_parts_keep_pages_bookmarks_and_links(synthetic_book, tmp_path, monkeypatch):
    html, content, kb = synthetic_book
    real_join, workers = bookparts.join, []

    def join(*args):  # what runs beside the join: no worker holds its memory through it
        # The server the workers are forked from may (it holds WeasyPrint imported, no
        # layout); the workers it forked, or any spawned, may not.
        here = psutil.Process()
        servers = [p for p in here.children() if "forkserver" in " ".join(p.cmdline())]
        forked = [p for server in servers for p in server.children(recursive=True)]
        spawned = [p for p in here.children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]
        workers.append(forked + spawned)
        return real_join(*args)

    monkeypatch.setattr(bookparts, "join", join)
    ids, sizes = _sheets(html)
    monkeypatch.setattr(bookparts, "PART_BYTES", 100_000)  # parts of some 25 pages
    assert sum(name.startswith("subjects-") for name in ids) >= 5
    assert any(ids[g[0]].startswith("subjects-") for g in bookparts.cut(ids, sizes))
    parts = write(html, content, tmp_path / "parts.pdf", workers=2, parts=True)
    assert workers == [[]]
    assert parts.rounds["parts laid out"] >= 2 and "final" not in parts.rounds, parts.rounds
    # The existing checks: every title and table header; contents entries on their pages.
    check_titles_and_tables(tmp_path / "parts.pdf", kb)
    check_contents_pages(tmp_path / "parts.pdf", kb)
    # And the same book as one layout of the whole: text page by page, links, bookmarks.
    write(html, content, tmp_path / "one.pdf", workers=1)
    assert pages_text(tmp_path / "parts.pdf") == pages_text(tmp_path / "one.pdf")
    joined, one = structure(tmp_path / "parts.pdf"), structure(tmp_path / "one.pdf")
    assert len(joined["links"]) > 1000 and len(joined["outline"]) > 300
    assert {depth for depth, _, _ in joined["outline"]} == {0, 1, 2}  # chapter -> article -> section
    assert joined == one
    # Fonts are subset per part: the joined file stays within 15% of one layout's.
    assert (tmp_path / "parts.pdf").stat().st_size < 1.15 * (tmp_path / "one.pdf").stat().st_size
