"""Page numbers that kbsite finds itself (kbsite.outputs.pagenumbers), read back from real PDFs."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from conftest import run_kbsite
from test_handbook import PDF, lines, pages_text

from kbsite.outputs import handbook
from kbsite.outputs.pagenumbers import Book, Numberer, Progress, fill


def title_page(pages: list[str], title: str, meta: str) -> int:
    """The page (from 1) where an article's title and meta line stand."""
    found = [n for n, text in enumerate(pages, 1) if title in lines(text) and meta in lines(text)]
    assert len(found) == 1, (title, found)
    return found[0]


def mini_book(root: Path, lang: str = "") -> tuple[str, Path]:
    """The mini site's book HTML (in `lang`, else its first language), set up as `kbsite pdf`
    does, and its content folder."""
    from mkdocs.config import load_config

    cfg = load_config(str(root / "mkdocs.yml"))
    if lang:
        cfg.plugins["kbsite"].config["language"] = lang
    cfg = cfg.plugins.on_config(cfg)
    plugin = cfg.plugins.get("kbsite")
    html = handbook.config_html(plugin.kb, cfg, cfg.theme.get_env().loader, plugin.config.glossary_links)
    return html, Path(cfg.docs_dir)


def test_forward_reference_across_chapters_gives_the_title_page(mini):
    # Chapter 1 (Network) points ahead to an article of chapter 2 (Devices), and to a section of it.
    article = mini / "content/network/public-wifi.md"
    article.write_text(
        article.read_text() + "\nRead [what Tails is](../devices/what-is-tails.md) before you "
        "travel, and [its section on use](../devices/what-is-tails.md#before-use).\n"
    )
    result = run_kbsite("pdf", cwd=mini)
    assert result.returncode == 0, result.stderr
    pages = pages_text(mini / PDF)
    text = " ".join(" ".join(lines(p)) for p in pages)
    ahead = int(re.search(r"Read what Tails is \(see p\. (\d+)\) before you travel", text).group(1))
    assert ahead == title_page(
        pages, "What Is Tails?", next(ln for ln in lines(pages[ahead - 1]) if "Updated" in ln)
    )
    here = title_page(
        pages,
        "Public Wi-Fi",
        next(
            ln
            for p in pages
            for ln in lines(p)
            if ln.startswith("Network · Updated") and "Public Wi-Fi" in lines(p)
        ),
    )
    assert ahead > here  # a forward reference, into the next chapter
    section = int(re.search(r"its section on use \(see p\. (\d+)\)", text).group(1))
    assert "Before use" in lines(pages[section - 1])


def test_wrong_digit_guesses_and_two_processes_give_the_same_pdf(built_mini, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    html, content = mini_book(built_mini)
    # One byte a page: every placeholder gets far too many digits, so every sheet is laid out again.
    numberer = Numberer(workers=2, bytes_per_page=1)
    pdf, _ = handbook.render_pdf(html, content, numberer)
    assert numberer.rounds["sheets"] >= 2 and numberer.rounds["final"] == 1, numberer.rounds
    assert pdf == (built_mini / PDF).read_bytes()


def test_unsettled_numbers_fall_back_to_weasyprint(built_mini, monkeypatch, tmp_path):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    html, content = mini_book(built_mini)
    numberer = Numberer(workers=1, final_rounds=0)  # no final round may settle them
    pdf, _ = handbook.render_pdf(html, content, numberer)
    assert numberer.rounds.get("fallback") == 1
    (tmp_path / "fallback.pdf").write_bytes(pdf)
    assert pages_text(tmp_path / "fallback.pdf") == pages_text(built_mini / PDF)


def test_book_is_cut_into_sheets_and_links_get_their_pages():
    html = (
        '<html><head><style></style></head><body>\n<!--sheet:a--><section id="a">'
        '<a class="kb-xref" href="#b" data-page="">B</a> <a class="kb-xref" href="#gone" data-page="">x</a>'
        '</section>\n<!--sheet:b--><article id="b"><h2 id="b2">B2</h2></article>\n</body></html>'
    )
    book = Book(html)
    assert book.ids == ["a", "b"]
    assert book.sheet_of == {"a": 0, "b": 1, "b2": 1}
    assert book.refs == [["b", "gone"], []]
    pages = {"b": "12"}
    filled = book.html([0, 1], pages.get)
    assert '<a class="kb-xref" href="#b" data-page="12">B</a>' in filled
    assert '<a class="kb-xref" href="#gone">x</a>' in filled  # no such id: no "see p." at all
    assert book.html([1], pages.get).count("<!--sheet:") == 1
    assert fill('<a href="#b" data-page="">', lambda name: "7") == '<a href="#b" data-page="7">'
    with pytest.raises(ValueError, match="sheet"):
        Book("<html><body></body></html>")


def test_book_without_sheet_marks_still_gets_its_pages(built_mini, monkeypatch, tmp_path):
    # As from an overriding book template written before kbsite numbered pages itself.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    html, content = mini_book(built_mini)
    old = re.sub(r'<!--sheet:[^>]*-->| data-page=""', "", html)
    assert "data-page=" not in old and "<!--sheet" not in old
    numberer = Numberer(workers=1)
    pdf, _ = handbook.render_pdf(old, content, numberer)
    assert numberer.rounds == {"fallback": 1}
    (tmp_path / "old.pdf").write_bytes(pdf)
    assert pages_text(tmp_path / "old.pdf") == pages_text(built_mini / PDF)


def test_sheets_that_do_not_start_a_page_fall_back_to_weasyprint(built_mini, monkeypatch, tmp_path):
    # An overriding stylesheet that lets articles run on: sheets no longer start new pages.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    html, content = mini_book(built_mini)
    html = html.replace("</style>", ".article, .glossary, .tool-index { break-before: auto; }\n</style>", 1)
    numberer = Numberer(workers=1)
    pdf, _ = handbook.render_pdf(html, content, numberer)
    assert numberer.rounds.get("fallback") == 1
    (tmp_path / "run-on.pdf").write_bytes(pdf)
    pages = pages_text(tmp_path / "run-on.pdf")
    text = "\n".join(" ".join(lines(p)) for p in pages)
    page = int(re.search(r"Tor vs VPN \(see p\. (\d+)\)", text).group(1))
    assert "Tor vs VPN" in lines(pages[page - 1])


def test_progress_shows_on_a_terminal_only():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown = Terminal()
    progress = Progress(shown)
    progress.show("counted", 1, 4)
    progress.show("counted", 4, 4)
    progress.end()
    assert re.fullmatch(
        r"\rhandbook: 1/4 parts counted, \d+ s \rhandbook: 4/4 parts counted, \d+ s \n", shown.getvalue()
    )
    quiet = io.StringIO()
    progress = Progress(quiet)
    progress.show("counted", 1, 4)
    progress.end()
    assert quiet.getvalue() == ""
