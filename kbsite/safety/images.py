"""Copies of content images without EXIF, XMP, IPTC or comments.

Raster formats are cleaned losslessly at the container level (JPEG segments,
PNG/WebP chunks, GIF extension blocks), so pixels are never re-encoded; the
only exception is a JPEG whose EXIF says "rotate me", which is turned upright
by Pillow first, because dropping that tag would show it sideways. Every
result is decoded again by Pillow and checked; an image that still carries
metadata, or that cannot be read, stops the build naming the file.
"""

from __future__ import annotations

import io
import os
import re
import struct
import xml.etree.ElementTree as ET

from PIL import Image, ImageOps

from ..content.errors import ContentError, ContentErrors

RASTER = {".jpg", ".jpeg", ".png", ".gif", ".webp"}
VECTOR = {".svg"}
# Image types a site might hold whose metadata this module cannot remove.
UNSUPPORTED = {".tif", ".tiff", ".heic", ".heif", ".avif", ".jxl", ".bmp", ".psd", ".jp2"}
# What Pillow reports when an image still carries metadata.
METADATA_KEYS = {"exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop", "iptc", "extension"}

_DAMAGED = "replace it with an undamaged copy (open and save it again in an image editor)"
_FIX = "save the image as PNG or JPEG (for example with `mat2` or an image editor) and build again"


class ImageMetadataError(ValueError):
    def __init__(self, message: str, hint: str = _FIX):
        super().__init__(message)
        self.hint = hint


def is_image(name: str) -> bool:
    return _suffix(name) in RASTER | VECTOR | UNSUPPORTED


def strip(data: bytes, name: str) -> bytes:
    """The image without metadata; raises ImageMetadataError if that is impossible."""
    suffix = _suffix(name)
    if suffix in UNSUPPORTED:
        raise ImageMetadataError(f"kbsite cannot remove metadata from {suffix} images")
    if suffix in VECTOR:
        return _strip_svg(data)
    kind = _sniff(data)
    if kind is None:
        raise ImageMetadataError("not a JPEG, PNG, GIF or WebP image (unknown or damaged file)", _DAMAGED)
    _metadata_left(data)  # the source must decode before it is cut apart
    try:
        cleaned = {"jpeg": _strip_jpeg, "png": _strip_png, "gif": _strip_gif, "webp": _strip_webp}[kind](data)
    except (IndexError, struct.error) as exc:
        raise ImageMetadataError(f"damaged {kind.upper()} structure", _DAMAGED) from exc
    left = _metadata_left(cleaned)
    if left:
        raise ImageMetadataError("metadata remained after cleaning: " + ", ".join(left))
    return cleaned


def clean_files(files, config) -> None:
    """Swap every content image in MkDocs' Files for an in-memory copy without metadata.

    Done in on_files, so MkDocs itself writes the clean copy (the source file is
    never touched and nothing is written behind MkDocs' back); all problems are
    collected first, so one build lists every bad image.
    """
    from mkdocs.structure.files import File

    errors, swaps = [], []
    for file in sorted(files, key=lambda f: f.src_uri):
        if file.generated_by or not file.abs_src_path or not is_image(file.src_uri):
            continue
        if not file.abs_src_path.startswith(os.path.join(config.docs_dir, "")):  # theme files are not content
            continue
        try:
            with open(file.abs_src_path, "rb") as f:
                swaps.append((file, strip(f.read(), file.src_uri)))
        except ImageMetadataError as exc:
            errors.append(ContentError(file.src_uri, f"image metadata cannot be removed: {exc}", exc.hint))
    if errors:
        raise ContentErrors(errors)
    for file, data in swaps:
        files.remove(file)
        files.append(File.generated(config, file.src_uri, content=data, inclusion=file.inclusion))


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _metadata_left(data: bytes) -> list[str]:
    """What metadata Pillow still finds; raises if the image does not decode."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            left = sorted(METADATA_KEYS & set(im.info))
            if len(im.getexif()):
                left.append("EXIF tags")
            left += [k for k in getattr(im, "text", {})]  # PNG text chunks
            left += [m for m, _ in getattr(im, "applist", []) if m in ("APP1", "APP13", "COM")]
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageMetadataError(f"the image cannot be read ({exc})", _DAMAGED) from exc
    return left


# --- JPEG: keep the image segments, JFIF, ICC colour profile and Adobe colour info.


def _keep_jpeg_segment(marker: int, body: bytes) -> bool:
    if marker == 0xE0:
        return body.startswith(b"JFIF\0")  # not JFXX: it holds a thumbnail
    if marker == 0xE2:
        return body.startswith(b"ICC_PROFILE\0")  # not MPF: it holds more images
    if marker == 0xEE:
        return body.startswith(b"Adobe")
    return not (0xE0 <= marker <= 0xEF or marker == 0xFE)  # other APPn and COM go


def _strip_jpeg(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as im:
        if im.getexif().get(0x0112, 1) != 1:  # Orientation: rotate the pixels instead
            return _upright_jpeg(im)
    out, pos = bytearray(data[:2]), 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise ImageMetadataError("damaged JPEG structure", _DAMAGED)
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9 or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += data[pos : pos + 2]
            pos += 2
            if marker == 0xD9:
                break
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if _keep_jpeg_segment(marker, data[pos + 4 : end]):
            out += data[pos:end]
        pos = end
        if marker == 0xDA:  # entropy-coded data runs to the next real marker
            scan = pos
            while True:
                scan = data.find(b"\xff", scan)
                if scan < 0 or scan + 1 >= len(data):
                    scan = len(data)
                    break
                if data[scan + 1] == 0 or 0xD0 <= data[scan + 1] <= 0xD7 or data[scan + 1] == 0xFF:
                    scan += 1 if data[scan + 1] == 0xFF else 2
                    continue
                break
            out += data[pos:scan]
            pos = scan
    return bytes(out)


def _upright_jpeg(im: Image.Image) -> bytes:
    upright = ImageOps.exif_transpose(im)
    buf = io.BytesIO()
    icc = im.info.get("icc_profile")
    upright.save(
        buf, "JPEG", quality=95, subsampling=0, optimize=True, **({"icc_profile": icc} if icc else {})
    )
    return _strip_jpeg(buf.getvalue())


# --- PNG: keep the chunks that draw the image; text, EXIF and time go.

_PNG_KEEP = {
    b"IHDR",
    b"PLTE",
    b"IDAT",
    b"IEND",
    b"tRNS",
    b"cHRM",
    b"gAMA",
    b"iCCP",
    b"sBIT",
    b"sRGB",
    b"cICP",
    b"mDCV",
    b"cLLI",
    b"bKGD",
    b"hIST",
    b"pHYs",
    b"sPLT",
    b"acTL",
    b"fcTL",
    b"fdAT",
}


def _strip_png(data: bytes) -> bytes:
    out, pos = bytearray(data[:8]), 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if kind in _PNG_KEEP:
            out += data[pos:end]
        elif kind[:1].isupper():  # critical chunk we do not know: dropping it breaks the image
            raise ImageMetadataError(f"unknown critical PNG chunk {kind.decode('latin-1')!r}")
        pos = end
        if kind == b"IEND":
            break
    return bytes(out)


# --- WebP: drop the EXIF and XMP chunks and their flags.


def _strip_webp(data: bytes) -> bytes:
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        kind, length = struct.unpack("<4sI", data[pos : pos + 8])
        end = pos + 8 + length + (length & 1)
        chunk = data[pos:end]
        if kind == b"VP8X":
            flags = chunk[8] & ~0x0C  # clear the EXIF (0x08) and XMP (0x04) bits
            chunk = chunk[:8] + bytes([flags]) + chunk[9:]
        if kind not in (b"EXIF", b"XMP "):
            chunks.append(chunk)
        pos = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# --- GIF: drop comment blocks and application blocks other than animation looping.


def _gif_sub_blocks(data: bytes, pos: int) -> int:
    while data[pos]:
        pos += data[pos] + 1
    return pos + 1


def _strip_gif(data: bytes) -> bytes:
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    out = bytearray(data[:pos])
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:  # trailer
            out.append(0x3B)
            break
        if block == 0x21:
            label = data[pos + 1]
            end = _gif_sub_blocks(data, pos + 2)
            app = data[pos + 3 : pos + 14] if label == 0xFF else b""
            if label != 0xFE and (label != 0xFF or app in (b"NETSCAPE2.0", b"ANIMEXTS1.0")):
                out += data[pos:end]
            pos = end
        elif block == 0x2C:
            local = data[pos + 9]
            start = pos + 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0)
            end = _gif_sub_blocks(data, start + 1)  # after the LZW minimum code size
            out += data[pos:end]
            pos = end
        else:
            raise ImageMetadataError("damaged GIF structure", _DAMAGED)
    return bytes(out)


# --- SVG: drop <metadata>, comments, and editor namespaces (they hold file paths).

_SVG = "http://www.w3.org/2000/svg"
_EDITOR_NS = re.compile(
    r"^\{(http://(sodipodi\.sourceforge\.net|www\.inkscape\.org|purl\.org/dc|"
    r"creativecommons\.org|web\.resource\.org/cc|www\.w3\.org/1999/02/22-rdf|"
    r"ns\.adobe\.com|www\.bohemiancoding\.com)[^}]*)\}"
)
_EXTERNAL = re.compile(r"^\s*(file:|/|[a-zA-Z]:\\)")


def _strip_svg(data: bytes) -> bytes:
    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    try:
        root = ET.fromstring(data)  # comments and processing instructions are not kept
    except ET.ParseError as exc:
        raise ImageMetadataError(f"not well-formed SVG ({exc})", "fix the XML and build again") from exc
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == f"{{{_SVG}}}metadata" or _EDITOR_NS.match(str(child.tag)):
                parent.remove(child)
        for attr in list(parent.attrib):
            if _EDITOR_NS.match(attr):
                del parent.attrib[attr]
            elif attr.endswith("}href") or attr == "href":
                if _EXTERNAL.match(parent.attrib[attr]):
                    raise ImageMetadataError(
                        f"it links to a file outside the site ({parent.attrib[attr][:60]})",
                        "embed the linked image or copy it into content/ and link it relatively",
                    )
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + ET.tostring(root, encoding="utf-8", xml_declaration=False)
        + b"\n"
    )
