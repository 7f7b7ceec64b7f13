"""Page numbers laid out as stand-ins and written in at the join: each part laid out once.

A part of the handbook is laid out before the parts ahead of it are counted, so it cannot
know the numbers it prints: its folios, the contents' numbers, "see p. N" and the subject
index's pages. It prints each as zeros, as many as the number will have digits: the
layout is the same as with the number, since the digits are all equally wide and do not
kern (checked in the font, below). While WeasyPrint draws the part, each text box that
holds such a number is marked in its page's content stream; once every part is counted,
the join writes the real digits' glyphs over the zeros.

The parts were laid out twice before (kbsite.outputs.pagenumbers: once to count their
pages, once with their numbers); they still are when a part cannot be written this way.

This reaches into WeasyPrint's drawing (a text box's element, the fonts it embeds), so it
is used only with the version it was written against (WEASYPRINT).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from typing import Any

WEASYPRINT = "70.0"
DIGITS = "0123456789"
FOLIO = ""  # a folio's target: the page it stands on
MARK = b"%kbsite-number "
MARK_RE = re.compile(rb"%kbsite-number ([0-9a-f]*) ([0-9]+)\n")  # target (hex), digits
# In the text object after a mark: font changes, and the glyph arrays WeasyPrint draws.
TEXT_RE = re.compile(rb"/(\S+) [0-9.]+ Tf|\[([^\]]*)\] TJ|\bET\b")
GLYPH_RE = re.compile(rb"<([0-9a-f]*)>|(-?[0-9.]+)")

# One part's numbers: for each page, (target id or FOLIO, digits) in drawing order; and the
# glyph of each digit in each font that draws one, by the font's name in the content streams.
Slots = tuple[list[list[tuple[str, int]]], dict[str, list[int]]]


def supported() -> bool:
    import weasyprint

    return weasyprint.__version__ == WEASYPRINT


def zeros(value: int) -> str:
    return "0" * len(str(value))


def folio_start(first: int, last: int) -> int:
    """The page number to lay out a part's folios from, for pages `first` to `last`: the
    smallest with as many digits, so the part's layout (and its cached PDF) does not change
    when only the numbers move; `first` itself where the digits change within the part."""
    digits = len(str(first))
    return 10 ** (digits - 1) if len(str(last)) == digits else first


@contextlib.contextmanager
def marking(document: Any) -> Iterator[dict[str, list[int]]]:
    """While the laid-out `document` is written: each text box holding a number to fill in
    is marked; every font that draws a digit embeds all ten. Yields the digits' glyphs."""
    import weasyprint.draw as draw
    import weasyprint.pdf as pdf

    folios = {id(box) for page in document.pages for box in _folio_boxes(page._page_box)}
    glyphs: dict[str, list[int]] = {}
    draw_text, build_fonts = draw.draw_text, pdf.build_fonts_dictionary

    def marked_text(stream, textbox, *args, **kwargs):
        target = _target(textbox, folios)
        if target is not None:
            digits = sum(c in DIGITS for c in textbox.text)
            stream.stream.append(MARK + target.encode().hex().encode() + b" %d" % digits)
        return draw_text(stream, textbox, *args, **kwargs)

    def all_digits(pdf_, fonts, *args, **kwargs):
        read: dict[tuple[bytes, int], list[int] | None] = {}  # one font file, several sizes
        for font in fonts.values():
            if not font.bitmap and any(text in DIGITS for text in font.to_unicode.values()):
                key = (font.file_content, font.index)
                if key not in read:
                    read[key] = _digit_glyphs(font)
                found = read[key]
                width = next((font.widths[g] for g in found or () if g in font.widths), None)
                if found is not None and width is not None:  # else: the stand-ins are not found
                    glyphs[font.hash] = found
                    for digit, glyph in zip(DIGITS, found, strict=True):
                        # Last and in order, whichever digits the stand-ins drew: the same bytes.
                        font.to_unicode.pop(glyph, None)
                        font.to_unicode[glyph] = digit
                        font.widths[glyph] = width
        return build_fonts(pdf_, fonts, *args, **kwargs)

    draw.draw_text, pdf.build_fonts_dictionary = marked_text, all_digits
    try:
        yield glyphs
    finally:
        draw.draw_text, pdf.build_fonts_dictionary = draw_text, build_fonts


def _folio_boxes(page_box: Any) -> Iterator[Any]:
    """The text boxes of the margin boxes that print the page number and nothing else."""
    from weasyprint.formatting_structure import boxes

    for child in page_box.children:
        if isinstance(child, boxes.MarginBox) and child.style["content"] == (
            ("counter()", ("page", "decimal")),
        ):
            yield from (box for box in child.descendants() if isinstance(box, boxes.TextBox))


def _target(textbox: Any, folios: set[int]) -> str | None:
    """What the number in `textbox` points at (FOLIO for a folio); None if it holds none."""
    if id(textbox) in folios:
        return FOLIO
    element = textbox.element
    if (
        element is None
        or not (textbox.element_tag or "").endswith("::after")
        or not any(c in DIGITS for c in textbox.text)
    ):
        return None
    href = element.get("href") or ""
    return href[1:] if element.get("data-page") and href.startswith("#") else None


def _digit_glyphs(font: Any) -> list[int] | None:
    """The glyph of each digit in `font`'s file; None unless all ten are there, equally wide."""
    from fontTools.ttLib import TTFont

    ttfont = TTFont(io.BytesIO(font.file_content), fontNumber=font.index, lazy=True)
    cmap = ttfont.getBestCmap() or {}
    names = [cmap.get(ord(digit)) for digit in DIGITS]
    if None in names or "hmtx" not in ttfont:
        return None
    if len({ttfont["hmtx"][name][0] for name in names}) != 1:
        return None
    return [ttfont.getGlyphID(name) for name in names]


def slots(pdf: bytes, glyphs: dict[str, list[int]]) -> Slots | None:
    """The numbers each page of a part's PDF holds, as the join will find them; None when
    one cannot be written in (a number drawn in some other way than expected)."""
    from pypdf import PdfReader

    pages: list[list[tuple[str, int]]] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        data = _content(page)
        if data is None:
            return None
        found = []
        for target, _, positions in _numbers(data, glyphs):
            if positions is None:
                return None
            found.append((target, len(positions)))
        pages.append(found)
    return pages, glyphs


def _content(page: Any) -> bytes | None:
    contents = page.get("/Contents")
    if contents is None:
        return b""
    contents = contents.get_object()
    return contents.get_data() if hasattr(contents, "get_data") else None  # an array: not WeasyPrint's


def _numbers(data: bytes, glyphs: dict[str, list[int]]) -> Iterator[tuple[str, str, list[int] | None]]:
    """Each marked number in a page's content stream: its target, its font, and where its
    digits' glyph codes stand (None if they are not found as _stand_in finds them)."""
    marks = list(MARK_RE.finditer(data))
    ends = [mark.start() for mark in marks[1:]] + [len(data)]  # a box drawn empty has no text object
    for mark, end in zip(marks, ends[: len(marks)], strict=True):
        target = bytes.fromhex(mark.group(1).decode()).decode()
        found = _stand_in(_drawn(data, mark.end(), end), int(mark.group(2)), glyphs, target == FOLIO)
        yield target, found[0] if found else "", found[1] if found else None


# A glyph drawn: its font's name, its code, where the code stands, the shift after it, which array.
Glyph = tuple[str, int, int, float, int]


def _drawn(data: bytes, start: int, end: int) -> list[Glyph]:
    """The glyphs of the text object that follows `start` in a content stream."""
    name = ""
    run: list[Glyph] = []
    for array, item in enumerate(TEXT_RE.finditer(data, start, end)):
        if item.group(0) == b"ET":
            break
        if item.group(1) is not None:
            name = item.group(1).decode()
            continue
        for glyph in GLYPH_RE.finditer(item.group(2)):
            if glyph.group(2) is not None:
                if run and run[-1][4] == array:
                    run[-1] = (*run[-1][:3], run[-1][3] + float(glyph.group(2)), array)
                continue
            codes, at = glyph.group(1), item.start(2) + glyph.start(1)
            run += [(name, int(codes[k : k + 4], 16), at + k, 0.0, array) for k in range(0, len(codes), 4)]
    return run


def _stand_in(
    run: list[Glyph], count: int, glyphs: dict[str, list[int]], folio: bool
) -> tuple[str, list[int]] | None:
    """The stand-in in `run`: its first run of `count` zeros (any digits for a folio, laid out
    from folio_start) in one glyph array of one font, unkerned, with no digit beside it in that
    array; its font and where its codes stand. (The text object may go on past the box's own text: WeasyPrint draws
    right-to-left lines so.)"""

    def digit_beside(k: int, array: int) -> bool:
        return 0 <= k < len(run) and run[k][4] == array and run[k][1] in glyphs.get(run[k][0], ())

    for k in range(len(run) - count + 1):
        font, array, zeros = run[k][0], run[k][4], run[k : k + count]
        if (
            font in glyphs
            and all(g[0] == font and g[4] == array for g in zeros)
            and all(g[1] in glyphs[font][: 10 if folio else 1] for g in zeros)
            and all(g[3] == 0 for g in zeros[:-1])
            and not digit_beside(k - 1, array)
            and not digit_beside(k + count, array)
        ):
            return font, [g[2] for g in zeros]
    return None


def write(data: bytes, values: list[str], glyphs: dict[str, list[int]]) -> bytes:
    """A page's content stream with each marked number's digits set to `values` (in order)
    and the marks taken out."""
    out = bytearray(data)
    numbers = list(_numbers(data, glyphs))
    if len(numbers) != len(values):
        raise ValueError(f"handbook: a page marks {len(numbers)} numbers, {len(values)} given")
    for (_, font, positions), value in zip(numbers, values, strict=True):
        if positions is None or len(positions) != len(value):
            raise ValueError(f"handbook: cannot write {value} into a page's stand-in")
        for position, digit in zip(positions, value, strict=True):
            out[position : position + 4] = b"%04x" % glyphs[font][int(digit)]
    return MARK_RE.sub(b"", bytes(out))
