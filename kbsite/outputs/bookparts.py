"""The handbook in parts: front matter, one part per chapter, back matter; laid out and
written to PDF one part at a time, on both cores, then joined by pypdf.

Why: at 300 articles one WeasyPrint pass holds the whole book's layout (1.2 GB) and
runs on one core: the layout (35 s) and writing (25 s: drawing text 60%, zlib 20%)
both grow with the book. A part is laid out with its real page numbers (found by
kbsite.outputs.pagenumbers from the sheets) and its first page number, so each part
is final as it stands; a process holds one part's layout (about 100 pages) at a time.

Each part starts at a level-1 heading (a chapter's title, the contents, the glossary),
so its bookmarks are whole subtrees: the joined outline is each part's, in order.
Links between parts are named destinations: the joined file keeps every part's names.
"""

from __future__ import annotations

import gc
import hashlib
import html as html_lib
import io
import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any

BACK_MATTER = ("glossary", "tools")
# About 100 pages: a process laying one out peaks at about 220 MB, so two parts in flight
# and the parent stay near 600 MB (a part holds whole chapters: a longer chapter is one part).
PART_BYTES = 400_000
OBJECTS_PER_STREAM = 200


def opens(ids: list[str], i: int) -> bool:
    """Whether sheet `i` opens a level-1 heading's run: the cover, a chapter, the back matter."""
    name = ids[i]
    return i == 0 or name.startswith("chap-") or (name in BACK_MATTER and ids[i - 1] not in BACK_MATTER)


def inside_chapter(name: str) -> bool:
    """Whether a part that starts at sheet `name` starts between a chapter's articles (its
    bookmarks belong under the chapter's); the other sheets open a level-1 bookmark or none."""
    return name.startswith("art-")


def cut(ids: list[str], sizes: list[int], part_bytes: int | None = None) -> list[list[int]]:
    """Sheet indexes grouped into parts of at most `part_bytes` of HTML (at least two).

    A part holds whole chapters where they fit: each font subset is written once per part, so
    fewer parts make a smaller file. A longer chapter is cut between its articles into parts
    of its own (join() nests their bookmarks under the chapter's).
    """
    limit = part_bytes or PART_BYTES
    units: list[list[int]] = []
    for i in range(len(ids)):
        if not units or opens(ids, i):
            units.append([])
        units[-1].append(i)
    runs: list[tuple[list[int], bool]] = []  # (sheets, whether it must be a part of its own)
    for unit in units:
        if sum(sizes[i] for i in unit) <= limit:
            runs.append((unit, False))
            continue
        # Pieces of about equal size, as few as the limit allows (a 430 KB chapter: two of 215).
        total = sum(sizes[i] for i in unit)
        target = total / -(-total // limit)
        pieces: list[list[int]] = [[]]
        done = held = 0
        for i in unit:
            if pieces[-1] and (done + sizes[i] / 2 > target * len(pieces) or held + sizes[i] > limit):
                pieces.append([])
                held = 0
            pieces[-1].append(i)
            done, held = done + sizes[i], held + sizes[i]
        runs.extend((piece, True) for piece in pieces)
    groups: list[list[int]] = [[]]
    size, alone = 0, False
    for run, own in runs:
        run_size = sum(sizes[i] for i in run)
        if groups[-1] and (own or alone or size + run_size > limit):
            groups.append([])
            size = 0
        groups[-1].extend(run)
        size, alone = size + run_size, own
    if len(groups) == 1 and len(units) > 1:  # two halves for two cores
        unit_sizes = [sum(sizes[i] for i in unit) for unit in units]
        half, done = sum(unit_sizes) / 2, 0
        ends = []
        for unit_size in unit_sizes[:-1]:
            done += unit_size
            ends.append(abs(done - half))
        k = ends.index(min(ends)) + 1
        groups = [sum(units[:k], []), sum(units[k:], [])]
    return groups


def part_html(html: str, first_page: int, chapter: str | None = None, first_id: str = "") -> str:
    """A part's HTML, its pages numbered from `first_page`; `chapter`: the running header of
    the chapter a part starts inside (its title, set in an earlier part), from its first
    article `first_id` on, as one layout of the book would carry it."""
    if first_page == 1 and chapter is None:
        return html
    # On the first page the reset replaces the page counter's own increment.
    rules = f"counter-reset: page {first_page};" if first_page != 1 else ""
    extra = ""
    if chapter is not None:
        # The header of the first page is written out: a string set on a page is not shown
        # on it (first-except); the later pages read the string set with the first title.
        text = '"' + html_lib.unescape(chapter).replace("\\", "\\\\").replace('"', '\\"') + '"'
        rules += f" @top-left {{ content: {text}; }}"
        extra = (
            f"\n#{first_id} > .article-title {{ string-set: article attr(data-running), chapter {text}; }}"
        )
    return html.replace("</head>", f"<style>@page :first {{ {rules} }}{extra}</style>\n</head>", 1)


CHAPTER_RUNNING_RE = re.compile(r"<h1\b[^>]*\bclass=\"chapter-title\"[^>]*>")
RUNNING_RE = re.compile(r"\bdata-running=\"([^\"]*)\"")


def running_chapter(ids: list[str], sheets: list[str], first: int) -> str | None:
    """The running header (data-running) of the chapter that sheet `first` is inside."""
    for i in range(first, -1, -1):
        if ids[i].startswith("chap-"):
            tag = CHAPTER_RUNNING_RE.search(sheets[i])
            found = RUNNING_RE.search(tag.group(0)) if tag else None
            return found.group(1) if found else None
    return None


def actual_pages(
    sheet_of: dict[str, int], groups: list[list[int]], results: list[tuple[int, dict[str, int]]]
) -> dict[str, int]:
    """Page number of every id, from the parts' layouts (page count, id -> page index)."""
    pages, first = {}, 1
    for group, (count, found) in zip(groups, results, strict=True):
        members = set(group)
        pages.update({name: first + i for name, i in found.items() if sheet_of.get(name) in members})
        first += count
    return pages


def settled(
    ids: list[str],
    refs: list[list[str]],
    groups: list[list[int]],
    used: dict[str, int],
    actual: dict[str, int],
) -> bool:
    """Whether the parts laid out with the numbers `used` print the pages they stand on."""
    return all(used.get(ids[g[0]]) == actual.get(ids[g[0]]) for g in groups) and all(
        used.get(name) == actual.get(name) for sheet in refs for name in sheet
    )


class PartStore:
    """Written parts by a digest of their HTML and of everything else a part's PDF depends on
    (`salt`: kbsite.outputs.handbook_cache.digest without the articles), in `folder` (None:
    in memory only). After one edited article, the other parts come from here unchanged."""

    def __init__(self, folder: Path | None, salt: str):
        self.folder, self.salt = folder, salt
        self.memo: dict[str, tuple[bytes, int, dict[str, int]]] = {}

    def key(self, html: str) -> str:
        return hashlib.sha256(self.salt.encode() + b"\0" + html.encode()).hexdigest()

    def get(self, html: str) -> tuple[bytes, int, dict[str, int]] | None:
        key = self.key(html)
        if key not in self.memo and self.folder is not None:
            try:
                info = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
                pdf = (self.folder / f"{key}.pdf").read_bytes()
                self.memo[key] = (pdf, int(info["pages"]), {k: int(v) for k, v in info["ids"].items()})
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                return None
        return self.memo.get(key)

    def put(self, html: str, result: tuple[bytes, int, dict[str, int]]) -> None:
        self.memo[self.key(html)] = result

    def keep(self, htmls: list[str]) -> None:
        """Store the parts of the book just written (once all are complete); drop the rest."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = {self.key(h) for h in htmls}
        for key in sorted(keys):
            pdf, pages, found = self.memo[key]
            if not (self.folder / f"{key}.json").exists():
                (self.folder / f"{key}.pdf.tmp").write_bytes(pdf)
                (self.folder / f"{key}.pdf.tmp").replace(self.folder / f"{key}.pdf")
                info = json.dumps({"pages": pages, "ids": found}, sort_keys=True)
                (self.folder / f"{key}.json.tmp").write_text(info, encoding="utf-8")
                (self.folder / f"{key}.json.tmp").replace(self.folder / f"{key}.json")
        for path in self.folder.iterdir():
            if path.name.split(".")[0] not in keys:
                path.unlink(missing_ok=True)


def lay_out_and_write(html: str, base: str) -> tuple[bytes, int, dict[str, int]]:
    """A part's PDF, its page count and the page index of each id in it (run in a worker too)."""
    from .weasy import anchors, paused_gc, render

    document = render(html, Path(base))
    count, found = anchors(document)
    # Links to other parts: WeasyPrint drops a link to an id it has not laid out, so each
    # such id gets a stand-in on the last page; join() keeps only the real ones.
    linked = {name for page in document.pages for kind, name, _, _ in page.links if kind == "internal"}
    for name in sorted(linked - found.keys()):
        document.pages[-1].anchors[name] = (0, 0, 0, 0)
    with paused_gc():
        # Untagged: join() cannot keep the parts' structure trees (pypdf copies pages, not
        # trees), and parsing them cost the join 100 MB and 2 s a part (kbsite pdf at 300).
        pdf = document.write_pdf(pdf_identifier=True)
    del document
    gc.collect()  # the layout's reference cycles, left while the collector was paused
    return pdf, count, found


def join(parts: list[bytes], ids: list[set[str]], inside: list[bool] | None = None) -> bytes:
    """One PDF from the parts: pages, bookmarks, links, named destinations (only each
    part's own `ids`, not its stand-ins), metadata, language.

    A part `inside` a chapter (cut between articles) has its bookmarks nested under the
    last top-level bookmark so far, the chapter's."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    dests: dict[str, ArrayObject] = {}
    for k, (pdf, own) in enumerate(zip(parts, ids, strict=True)):
        # One part's reader at a time: each holds every object of its part, parsed.
        reader = PdfReader(io.BytesIO(pdf))
        offset = len(writer.pages)
        if not offset:  # the first part's header, catalog entries and metadata
            writer.pdf_header = reader.pdf_header
            root: Any = reader.trailer["/Root"]
            for key in ("/Lang", "/PageMode", "/MarkInfo", "/ViewerPreferences"):
                if key in root:
                    writer._root_object[NameObject(key)] = root[key]
            writer.add_metadata({k: v for k, v in (reader.metadata or {}).items()})
        # pypdf drops links to names the part itself lacks: copy every annotation as it is.
        nest = bool(inside and inside[k])
        writer.append(reader, import_outline=not nest, excluded_fields=["/Annots"])
        if nest:
            _nest_outline(writer, reader, reader.outline, writer.get_outline_root().get("/Last"), offset)
        for page, original in zip(writer.pages[offset:], reader.pages, strict=True):
            annots: Any = original.get("/Annots")
            if annots:
                page[NameObject("/Annots")] = ArrayObject(a.clone(writer) for a in annots)
        for name, dest in reader.named_destinations.items():
            number = reader.get_destination_page_number(dest)
            if name in own and number is not None:
                target = writer.pages[offset + number]
                dests[name] = ArrayObject(
                    [target.indirect_reference, NameObject("/XYZ"), dest.left, dest.top, dest.zoom]
                )
    names = ArrayObject()
    for name in sorted(dests):
        names.extend([TextStringObject(name), dests[name]])
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/Dests"): DictionaryObject({NameObject("/Names"): names})}
    )
    # The file identifier: an MD5 of the parts, so set by content, not time.
    digest = hashlib.md5(usedforsecurity=False)
    for pdf in parts:
        digest.update(pdf)
    writer._ID = ArrayObject([ByteStringObject(digest.digest()), ByteStringObject(digest.digest())])
    return compact(writer)


def _nest_outline(writer, reader, items: list, parent, offset: int) -> None:
    """A part's bookmarks (pypdf's nested lists: an item, then a list of its children) under `parent`."""
    from pypdf.generic import Fit

    last = parent
    for item in items:
        if isinstance(item, list):
            _nest_outline(writer, reader, item, last, offset)
            continue
        page = reader.get_destination_page_number(item)
        fit = Fit.xyz(item.left, item.top, item.zoom)
        is_open = int(item.get("/Count", 0)) >= 0
        last = writer.add_outline_item(
            title=item.title, page_number=offset + page, parent=parent, fit=fit, is_open=is_open
        )


def compact(writer) -> bytes:
    """The writer's PDF with its plain objects packed into compressed object streams and a
    cross-reference stream, as WeasyPrint writes it. (pypdf writes every object as plain
    text: the 300-article book grew from 3.8 to 6.6 MB, mostly its 13,000 link annotations.)
    """
    from pypdf.generic import StreamObject

    writer._resolve_links()  # what PdfWriter.write_stream does first
    out = io.BytesIO()
    out.write(writer.pdf_header.encode() + b"\n%\xe2\xe3\xcf\xd3\n")
    where: dict[int, tuple[int, int, int]] = {}  # object number -> cross-reference row
    plain = []
    for number, obj in enumerate(writer._objects, start=1):
        if obj is None:
            continue
        if isinstance(obj, StreamObject):
            where[number] = (1, out.tell(), 0)
            out.write(f"{number} 0 obj\n".encode())
            obj.write_to_stream(out)
            out.write(b"\nendobj\n")
        else:
            plain.append((number, obj))
    number = len(writer._objects) + 1
    for start in range(0, len(plain), OBJECTS_PER_STREAM):
        chunk, body, head = plain[start : start + OBJECTS_PER_STREAM], io.BytesIO(), []
        for index, (inner, obj) in enumerate(chunk):
            head.append(f"{inner} {body.tell()}")
            obj.write_to_stream(body)
            body.write(b"\n")
            where[inner] = (2, number, index)
        first = (" ".join(head) + "\n").encode()
        data = zlib.compress(first + body.getvalue())
        where[number] = (1, out.tell(), 0)
        out.write(
            f"{number} 0 obj\n<< /Type /ObjStm /N {len(chunk)} /First {len(first)} "
            f"/Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode()
        )
        out.write(data + b"\nendstream\nendobj\n")
        number += 1
    where[number], size = (1, out.tell(), 0), number + 1
    rows = b"".join(struct.pack(">BIH", *where.get(n, (0, 0, 65535 if n == 0 else 0))) for n in range(size))
    data = zlib.compress(rows)
    ident = io.BytesIO()
    writer._ID.write_to_stream(ident)
    info = f"/Info {writer._info.indirect_reference.idnum} 0 R " if writer._info is not None else ""
    out.write(
        f"{number} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 2] "
        f"/Root {writer.root_object.indirect_reference.idnum} 0 R {info}/ID {ident.getvalue().decode()} "
        f"/Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode()
    )
    out.write(data + b"\nendstream\nendobj\n")
    out.write(f"startxref\n{where[number][1]}\n%%EOF\n".encode())
    return out.getvalue()
