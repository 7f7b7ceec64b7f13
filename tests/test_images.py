"""Images lose their metadata in the output; the sources stay as they were."""

from __future__ import annotations

import io
import struct
import subprocess
import sys

import pytest
from hosting_build import ARTIST, GPS_IFD, MINI, PHOTO, ROOT, photo_with_metadata
from PIL import Image

from kbsite.safety import images


def test_built_photo_has_no_gps_or_author(canary_build):
    source = (canary_build.root / "content" / PHOTO).read_bytes()
    assert source == photo_with_metadata()  # the source file was not touched
    with Image.open(io.BytesIO(source)) as im:
        assert im.getexif()[ARTIST] and im.getexif().get_ifd(GPS_IFD)  # the test photo does carry them
    out = (canary_build.site / PHOTO).read_bytes()
    with Image.open(io.BytesIO(out)) as im:
        im.load()
        assert len(im.getexif()) == 0 and not im.getexif().get_ifd(GPS_IFD)
        assert not {"exif", "xmp", "comment"} & set(im.info)
        assert im.size == (64, 48)
    assert b"Canary-Author" not in out and b"Exif" not in out
    html = (canary_build.site / "network" / "public-wifi.html").read_text(encoding="utf-8")
    assert 'src="night-street.jpg"' in html


def test_handbook_photo_has_no_author(canary_build, tmp_path):
    """The handbook (once built) embeds the cleaned photo, not the source file."""
    for pdf in canary_build.site.rglob("*.pdf"):
        assert b"Canary-Author" not in pdf.read_bytes(), pdf
        subprocess.run(["pdfimages", "-all", str(pdf), str(tmp_path / pdf.stem)], check=True)
        extracted = sorted(tmp_path.glob(pdf.stem + "*"))
        assert extracted, "the handbook shows the photo"
        for image in extracted:
            with Image.open(image) as im:
                assert not {"exif", "xmp", "comment"} & set(im.info) and not len(im.getexif()), image


def test_jpeg_pixels_are_kept_losslessly():
    source = photo_with_metadata()
    with Image.open(io.BytesIO(source)) as a, Image.open(io.BytesIO(images.strip(source, "a.jpg"))) as b:
        assert a.tobytes() == b.tobytes()


def test_rotated_jpeg_is_turned_upright():
    im = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif)
    with Image.open(io.BytesIO(images.strip(buf.getvalue(), "r.jpg"))) as out:
        assert out.size == (20, 40) and len(out.getexif()) == 0


def test_png_text_and_exif_chunks_go():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Canary-Author")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>Jane</x:xmpmeta>")
    exif = Image.Exif()
    exif[ARTIST] = "Jane"
    buf = io.BytesIO()
    Image.new("RGBA", (8, 8), (1, 2, 3, 4)).save(buf, "PNG", pnginfo=info, exif=exif)
    out = images.strip(buf.getvalue(), "p.png")
    assert b"Jane" not in out and b"tEXt" not in out and b"eXIf" not in out
    with Image.open(io.BytesIO(out)) as im:
        assert im.getpixel((0, 0)) == (1, 2, 3, 4)


def test_gif_comment_and_webp_exif_go():
    buf = io.BytesIO()
    Image.new("P", (4, 4)).save(buf, "GIF", comment=b"by Jane")
    assert b"Jane" not in images.strip(buf.getvalue(), "g.gif")
    exif = Image.Exif()
    exif[ARTIST] = "Jane"
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "WEBP", exif=exif, xmp=b"<x>Jane</x>", lossless=True)
    out = images.strip(buf.getvalue(), "w.webp")
    assert b"Jane" not in out and struct.unpack("<I", out[4:8])[0] == len(out) - 8


def test_svg_metadata_and_editor_paths_go():
    svg = (
        b'<?xml version="1.0"?><!-- drawn by Jane -->'
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"'
        b' inkscape:export-filename="/home/jane/x.png" width="4" height="4"><metadata><rdf>Jane</rdf></metadata>'
        b'<title>A square</title><rect width="4" height="4"/></svg>'
    )
    out = images.strip(svg, "s.svg")
    assert b"jane" not in out.lower() and b"<title>A square</title>" in out and b"<rect" in out


@pytest.mark.parametrize(
    "name, data, says",
    [
        ("broken.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", "cannot be read"),
        ("scan.tiff", b"II*\x00", "cannot remove metadata from .tiff"),
        ("logo.png", b"GIF89a...", "cannot be read"),
    ],
)
def test_image_that_cannot_be_cleaned_stops_the_build(tmp_path, name, data, says):
    import shutil

    root = tmp_path / "site-src"
    shutil.copytree(MINI, root)
    (root / "content" / "devices" / name).write_bytes(data)
    result = subprocess.run(
        [sys.executable, "-m", "kbsite.cli", "build"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode != 0
    assert f"devices/{name}" in result.stderr and "image metadata cannot be removed" in result.stderr
    assert says in result.stderr and "fix:" in result.stderr
    assert not (root / "site").exists()  # nothing was written
