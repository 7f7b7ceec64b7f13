"""The handbook in parts: front matter, one part per chapter, back matter; laid out and
written to PDF one part at a time, on both cores, then joined by pypdf.

Why: at 300 articles one WeasyPrint pass holds the whole book's layout (1.2 GB) and
runs on one core: the layout (35 s) and writing (25 s: drawing text 60%, zlib 20%)
both grow with the book. A part is laid out once, its page numbers as stand-ins that the
join writes in (kbsite.outputs.standins); or, where that cannot be done, with its real
numbers, found by kbsite.outputs.pagenumbers from the sheets. A process holds one part's
layout (about 100 pages) at a time.

Each part starts at a level-1 heading (a chapter's title, the contents, the glossary),
so its bookmarks are whole subtrees: the joined outline is each part's, in order.
Links between parts are named destinations: the joined file keeps every part's names.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import html as html_lib
import io
import json
import re
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .standins import Slots

# A written part: its PDF, page count, page index of each id, numbers to write in.
Part = tuple[bytes, int, dict[str, int], "Slots | None"]

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
    bookmarks belong under the chapter's) or within the subject index (it carries the index's
    running header); the other sheets open a level-1 bookmark or none."""
    return name.startswith(("art-", "subjects-"))


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
        if first_id.startswith("art-"):
            extra = f"\n#{first_id} > .article-title {{ string-set: article attr(data-running), chapter {text}; }}"
        else:
            # A further sheet of the back matter: its first child (a heading) sets the string. Set
            # by the section, which goes on over pages, it was set again on each, and first-except
            # hid the header there.
            extra = f'\n#{first_id} > :first-child {{ string-set: chapter {text}, article ""; }}'
    return html.replace("</head>", f"<style>@page :first {{ {rules} }}{extra}</style>\n</head>", 1)


CHAPTER_RUNNING_RE = re.compile(r"<h1\b[^>]*\bclass=\"chapter-title\"[^>]*>")
RUNNING_RE = re.compile(r"\bdata-running=\"([^\"]*)\"")


BACK_TITLE_RE = re.compile(r"<h1\b[^>]*\bclass=\"back-title\"[^>]*>(.*?)</h1>", re.S)


def running_chapter(ids: list[str], sheets: list[str], first: int) -> str | None:
    """The running header of the chapter (its data-running) or of the back matter's section
    (its title's text) that sheet `first` is inside."""
    for i in range(first, -1, -1):
        if ids[i].startswith("chap-"):
            tag = CHAPTER_RUNNING_RE.search(sheets[i])
            found = RUNNING_RE.search(tag.group(0)) if tag else None
            return found.group(1) if found else None
        if (title := BACK_TITLE_RE.search(sheets[i])) is not None:
            return re.sub(r"<[^>]+>", "", title.group(1)).strip()
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
        self.memo: dict[str, Part] = {}

    def key(self, html: str) -> str:
        return hashlib.sha256(self.salt.encode() + b"\0" + html.encode()).hexdigest()

    def get(self, html: str) -> Part | None:
        key = self.key(html)
        if key not in self.memo and self.folder is not None:
            try:
                info = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
                pdf = (self.folder / f"{key}.pdf").read_bytes()
                slots = info["slots"] and (
                    [[(str(t), int(n)) for t, n in page] for page in info["slots"][0]],
                    {str(f): [int(g) for g in gs] for f, gs in info["slots"][1].items()},
                )
                self.memo[key] = (pdf, int(info["pages"]), {k: int(v) for k, v in info["ids"].items()}, slots)
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                return None
        return self.memo.get(key)

    def put(self, html: str, result: Part) -> None:
        self.memo[self.key(html)] = result

    def keep(self, htmls: list[str]) -> None:
        """Store the parts of the book just written (once all are complete); drop the rest."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = {self.key(h) for h in htmls}
        for key in sorted(keys):
            pdf, pages, found, slots = self.memo[key]
            if not (self.folder / f"{key}.json").exists():
                (self.folder / f"{key}.pdf.tmp").write_bytes(pdf)
                (self.folder / f"{key}.pdf.tmp").replace(self.folder / f"{key}.pdf")
                info = json.dumps({"pages": pages, "ids": found, "slots": slots}, sort_keys=True)
                (self.folder / f"{key}.json.tmp").write_text(info, encoding="utf-8")
                (self.folder / f"{key}.json.tmp").replace(self.folder / f"{key}.json")
        for path in self.folder.iterdir():
            if path.name.split(".")[0] not in keys:
                path.unlink(missing_ok=True)


def lay_out_and_write(html: str, base: str, stand_ins: bool = False) -> Part:
    """A part's PDF, its page count, the page index of each id in it, and with `stand_ins`
    the numbers to write in at the join (kbsite.outputs.standins; None if it cannot be)."""
    from . import standins
    from .weasy import anchors, paused_gc, render

    document = render(html, Path(base))
    count, found = anchors(document)
    # Links to other parts: WeasyPrint drops a link to an id it has not laid out, so each
    # such id gets a stand-in on the last page; join() keeps only the real ones.
    linked = {name for page in document.pages for kind, name, _, _ in page.links if kind == "internal"}
    for name in sorted(linked - found.keys()):
        document.pages[-1].anchors[name] = (0, 0, 0, 0)
    with paused_gc(), contextlib.ExitStack() as stack:
        glyphs = stack.enter_context(standins.marking(document)) if stand_ins else {}
        # Untagged: join() cannot keep the parts' structure trees (pypdf copies pages, not
        # trees), and parsing them cost the join 100 MB and 2 s a part (kbsite pdf at 300).
        pdf = document.write_pdf(pdf_identifier=True)
    del document
    gc.collect()  # the layout's reference cycles, left while the collector was paused
    return pdf, count, found, standins.slots(pdf, glyphs) if stand_ins else None


def join(
    parts: list[bytes],
    ids: list[set[str]],
    inside: list[bool] | None = None,
    numbers: list[tuple[list[list[str]], dict[str, list[int]]]] | None = None,
) -> bytes:
    """One PDF from the parts: pages, bookmarks, links, named destinations (only each
    part's own `ids`, not its stand-ins), metadata, language; with `numbers`, each page's
    page numbers (in the order its stand-ins are drawn) written in (kbsite.outputs.standins).

    Streamed: each part's objects are renumbered and written out as soon as it is read, so
    the join holds one part's parsed objects at a time. (pypdf's PdfWriter held the whole
    book's: the join was most of the memory of `kbsite pdf`, 1.6 GB at 1,000 articles.)
    A part `inside` a chapter (cut between articles) has its bookmarks nested under the
    last top-level bookmark so far, the chapter's."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, IndirectObject, NameObject

    from . import standins

    out = _Out(parts[0].split(b"\n", 1)[0])
    catalog, tree = out.new(), out.new()
    kids: list[IndirectObject] = []
    marks: list[_Mark] = []
    dests: dict[str, ArrayObject] = {}
    kept: dict[str, Any] = {}  # the first part's catalog entries and document information
    for k, (pdf, own) in enumerate(zip(parts, ids, strict=True)):
        reader = PdfReader(io.BytesIO(pdf))
        pages: list[Any] = [page.indirect_reference for page in reader.pages]
        if numbers is not None:
            values, glyphs = numbers[k]
            for page_object, written in zip(reader.pages, values, strict=True):
                if written:
                    contents: Any = page_object["/Contents"].get_object()
                    contents.set_data(standins.write(contents.get_data(), written, glyphs))
        if k == 0:
            root: Any = reader.trailer["/Root"].get_object()
            kept = {key: dict.__getitem__(root, key) for key in _CATALOG_KEPT if key in root}
            if "/Info" in reader.trailer:
                kept["/Info"] = dict.__getitem__(reader.trailer, "/Info")
        # Every object the pages need (not their old page tree), numbered in the joined file.
        new: dict[int, IndirectObject] = {}
        order: list[IndirectObject] = []
        todo = [*pages, *_refs(list(kept.values()) if k == 0 else [])]
        while todo:
            ref = todo.pop()
            if ref.idnum in new:
                continue
            new[ref.idnum] = out.new()
            order.append(ref)
            obj: Any = ref.get_object()
            todo += _refs(obj, skip_parent=_is_page(obj))
        for ref in order:
            obj = ref.get_object()
            page = _is_page(obj)
            _renumber(obj, new, skip_parent=page)
            if page:
                obj[NameObject("/Parent")] = tree
            out.write(new[ref.idnum], obj)
        if k == 0:
            kept = {key: _renumbered(value, new) for key, value in kept.items()}
        offset = len(kids)
        kids += [new[p.idnum] for p in pages]
        found = _marks(reader, reader.outline, kids, offset)
        if inside and inside[k] and marks:
            marks[-1].children += found
        else:
            marks += found
        for name, dest in reader.named_destinations.items():
            number = reader.get_destination_page_number(dest)
            if name in own and number is not None:
                dests[name] = _xyz(kids[offset + number], dest)
        del reader
    info = kept.pop("/Info", None)
    names = ArrayObject()
    for name in sorted(dests):
        names += [_text(name), dests[name]]
    entries: dict[str, Any] = {
        "/Type": NameObject("/Catalog"),
        "/Pages": tree,
        "/Names": _dict({"/Dests": _dict({"/Names": names})}),
        **kept,
    }
    if marks:
        entries["/Outlines"] = _write_outline(out, marks)
    out.write(tree, _dict({"/Type": NameObject("/Pages"), "/Kids": ArrayObject(kids), "/Count": len(kids)}))
    out.write(catalog, _dict(entries))
    if isinstance(info, dict):
        info_ref = out.new()
        out.write(info_ref, info)
        info = info_ref
    return out.finish(catalog, info)


_CATALOG_KEPT = ("/Lang", "/PageMode", "/MarkInfo", "/ViewerPreferences")


def _is_page(obj: Any) -> bool:
    return isinstance(obj, dict) and dict.get(obj, "/Type") == "/Page"


def _references(obj: Any, skip_parent: bool = False) -> list[tuple[Any, Any, Any]]:
    """(container, key, reference) for every indirect reference inside a direct object;
    `skip_parent`: not a page's /Parent (the joined file has its own page tree)."""
    from pypdf.generic import IndirectObject

    found, stack = [], [(obj, skip_parent)]
    while stack:
        item, skip = stack.pop()
        # dict.items and list.__iter__: past pypdf's own accessors, which resolve references.
        if isinstance(item, dict):
            pairs = [(key, value) for key, value in dict.items(item) if not (skip and key == "/Parent")]
        elif isinstance(item, list):
            pairs = list(enumerate(list.__iter__(item)))
        else:
            continue
        for key, value in pairs:
            if isinstance(value, IndirectObject):
                found.append((item, key, value))
            elif isinstance(value, (dict, list)):
                stack.append((value, False))
    return found


def _refs(obj: Any, skip_parent: bool = False) -> list:
    return [ref for _, _, ref in _references(obj, skip_parent)]


def _renumber(obj: Any, new: dict, skip_parent: bool = False) -> None:
    """Point every indirect reference inside `obj` (in place) at its number in the joined file."""
    for item, key, ref in _references(obj, skip_parent):
        # Past pypdf's own __setitem__, which would resolve or check the value.
        (dict.__setitem__ if isinstance(item, dict) else list.__setitem__)(item, key, new[ref.idnum])


def _renumbered(value: Any, new: dict) -> Any:
    from pypdf.generic import IndirectObject

    if isinstance(value, IndirectObject):
        return new[value.idnum]
    _renumber(value, new)
    return value


def _dict(entries: dict[str, Any]):
    from pypdf.generic import DictionaryObject, NameObject, NumberObject

    return DictionaryObject(
        {NameObject(k): NumberObject(v) if isinstance(v, int) else v for k, v in entries.items()}
    )


def _text(value: str):
    from pypdf.generic import TextStringObject

    return TextStringObject(value)


def _xyz(page: Any, dest: Any):
    """A destination at the same place, on `page` of the joined file."""
    from pypdf.generic import ArrayObject, NameObject, NullObject

    def value(x: Any) -> Any:
        return NullObject() if x is None else x

    return ArrayObject([page, NameObject("/XYZ"), value(dest.left), value(dest.top), value(dest.zoom)])


class _Mark:
    """A bookmark: its title, destination, whether it shows its children, its children."""

    def __init__(self, title: str, dest: Any, is_open: bool):
        self.title, self.dest, self.is_open = title, dest, is_open
        self.children: list[_Mark] = []


def _marks(reader, items: list, kids: list, offset: int) -> list[_Mark]:
    """A part's bookmarks (pypdf's nested lists: an item, then a list of its children)."""
    out: list[_Mark] = []
    for item in items:
        if isinstance(item, list):
            out[-1].children += _marks(reader, item, kids, offset)
            continue
        page = reader.get_destination_page_number(item)
        out.append(_Mark(item.title, _xyz(kids[offset + page], item), int(item.get("/Count", 0)) >= 0))
    return out


def _write_outline(out: _Out, marks: list[_Mark]) -> Any:
    from pypdf.generic import NameObject

    root = out.new()
    first, last, count = _write_marks(out, marks, root)
    out.write(
        root, _dict({"/Type": NameObject("/Outlines"), "/First": first, "/Last": last, "/Count": count})
    )
    return root


def _write_marks(out: _Out, marks: list[_Mark], parent: Any) -> tuple[Any, Any, int]:
    """Write `marks` under `parent`: (first, last, how many show when the parent is open)."""
    refs = [out.new() for _ in marks]
    shown = 0
    for i, (mark, ref) in enumerate(zip(marks, refs, strict=True)):
        entries: dict[str, Any] = {"/Title": _text(mark.title), "/Parent": parent, "/Dest": mark.dest}
        if i:
            entries["/Prev"] = refs[i - 1]
        if i + 1 < len(refs):
            entries["/Next"] = refs[i + 1]
        shown += 1
        if mark.children:
            entries["/First"], entries["/Last"], below = _write_marks(out, mark.children, ref)
            entries["/Count"] = below if mark.is_open else -len(mark.children)
            shown += below if mark.is_open else 0
        out.write(ref, _dict(entries))
    return refs[0], refs[-1], shown


class _Out:
    """A PDF written object by object: streams as they come, the other objects packed into
    compressed object streams, then a cross-reference stream, as WeasyPrint writes them.
    (Plain objects one by one made the 300-article book 6.6 MB instead of 3.8, mostly its
    13,000 link annotations.)"""

    def __init__(self, header: bytes):
        self.data = io.BytesIO()
        self.data.write(header + b"\n%\xe2\xe3\xcf\xd3\n")
        self.count = 0
        self.where: dict[int, tuple[int, int, int]] = {}  # object number -> cross-reference row
        self.plain: list[tuple[int, bytes]] = []  # waiting for their object stream

    def new(self):
        from pypdf.generic import IndirectObject

        self.count += 1
        return IndirectObject(self.count, 0, None)

    def write(self, ref: Any, obj: Any) -> None:
        from pypdf.generic import StreamObject

        if isinstance(obj, StreamObject):
            self.where[ref.idnum] = (1, self.data.tell(), 0)
            self.data.write(f"{ref.idnum} 0 obj\n".encode())
            obj.write_to_stream(self.data)
            self.data.write(b"\nendobj\n")
            return
        text = io.BytesIO()
        obj.write_to_stream(text)
        self.plain.append((ref.idnum, text.getvalue()))
        if len(self.plain) == OBJECTS_PER_STREAM:
            self._pack()

    def _pack(self) -> None:
        chunk, self.plain = self.plain, []
        number = self.new().idnum
        head, body = [], io.BytesIO()
        for index, (inner, text) in enumerate(chunk):
            head.append(f"{inner} {body.tell()}")
            body.write(text + b"\n")
            self.where[inner] = (2, number, index)
        first = (" ".join(head) + "\n").encode()
        data = zlib.compress(first + body.getvalue())
        self.where[number] = (1, self.data.tell(), 0)
        self.data.write(
            f"{number} 0 obj\n<< /Type /ObjStm /N {len(chunk)} /First {len(first)} "
            f"/Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode()
        )
        self.data.write(data + b"\nendstream\nendobj\n")

    def finish(self, root: Any, info: Any) -> bytes:
        """The file, its identifier an MD5 of its objects: set by content, not time (and not
        by the stand-ins a part was laid out with)."""
        from pypdf.generic import ArrayObject, ByteStringObject

        if self.plain:
            self._pack()
        digest = ByteStringObject(hashlib.md5(self.data.getvalue(), usedforsecurity=False).digest())
        ident = ArrayObject([digest, digest])
        number = self.new().idnum
        self.where[number], size = (1, self.data.tell(), 0), number + 1
        rows = b"".join(
            struct.pack(">BIH", *self.where.get(n, (0, 0, 65535 if n == 0 else 0))) for n in range(size)
        )
        data = zlib.compress(rows)
        text = io.BytesIO()
        ident.write_to_stream(text)
        entry = f"/Info {info.idnum} 0 R " if info is not None else ""
        self.data.write(
            f"{number} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 2] /Root {root.idnum} 0 R {entry}"
            f"/ID {text.getvalue().decode()} /Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode()
        )
        self.data.write(data + b"\nendstream\nendobj\n")
        self.data.write(f"startxref\n{self.where[number][1]}\n%%EOF\n".encode())
        return self.data.getvalue()
