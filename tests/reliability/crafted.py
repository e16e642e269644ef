"""Files crafted byte by byte for the reliability tests: broken, hostile and odd images.

A decompression bomb here is a header that declares an enormous image over a few bytes
of data: the tests check it is refused from its header, so nothing is ever allocated.
Each ``make_*`` takes a folder and returns the path it wrote.

Import as ``from tests.reliability.crafted import ...``.
"""

import io
import logging
import struct
import warnings
import zlib

import imageio.v3 as iio
import numpy as np
import tifffile
from PIL import Image

from tests.helpers import beads, cli

#: Width and height a bomb declares: 10 gigapixels.
BOMB_SIDE = 100_000


def run_quietly(capsys, caplog, *argv):
    """``cli(capsys, *argv)``, failing the test if a warning or a log record at WARNING or
    above escaped: pytest intercepts both before they reach stderr, so ``err`` alone
    would not show them."""
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rc, out, err = cli(capsys, *argv)
    assert not caught, [str(w.message) for w in caught]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    return rc, out, err


def partials(folder):
    """Temporary ``.partial`` files left anywhere below ``folder``."""
    return sorted(str(p) for p in folder.rglob("*.partial*"))


# ------------------------------------------------------------------ PNG
def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(width, height, *, idat=b"\x00" * 1000):
    """A grey 8-bit PNG whose header declares ``width`` x ``height``, with ``idat`` as data."""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    data = _chunk(b"IDAT", zlib.compress(idat)) if idat is not None else b""
    return b"\x89PNG\r\n\x1a\n" + header + data + _chunk(b"IEND", b"")


def make_corrupt_png(d):
    """A whole PNG whose compressed data has 20 bytes zeroed: the length is right, the
    stream is not."""
    buf = io.BytesIO()
    iio.imwrite(buf, beads(), extension=".png")
    data = bytearray(buf.getvalue())
    start = data.find(b"IDAT") + 20
    data[start:start + 20] = bytes(20)
    p = d / "corrupt.png"
    p.write_bytes(bytes(data))
    return p


def make_png_without_data(d):
    p = d / "header_only.png"
    p.write_bytes(png_bytes(64, 48, idat=None))
    return p


def make_png_zero_width(d):
    p = d / "zero_width.png"
    p.write_bytes(png_bytes(0, 16, idat=b""))
    return p


def make_png_bomb(d):
    p = d / "bomb.png"
    p.write_bytes(png_bytes(BOMB_SIDE, BOMB_SIDE))
    return p


# ------------------------------------------------------------------ JPEG
def _jpeg_bytes():
    buf = io.BytesIO()
    iio.imwrite(buf, beads(rgb=True), extension=".jpg")
    return bytearray(buf.getvalue())


def make_corrupt_jpeg(d):
    """A whole JPEG whose entropy-coded scan is overwritten with 0xFF markers."""
    data = _jpeg_bytes()
    scan = data.find(b"\xff\xda")
    data[scan + 20:scan + 200] = b"\xff" * 180
    p = d / "corrupt.jpg"
    p.write_bytes(bytes(data))
    return p


def make_jpeg_bomb(d):
    """A small JPEG whose frame header (SOF0) declares 65000 x 65000."""
    data = _jpeg_bytes()
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 65000, 65000)
    p = d / "bomb.jpg"
    p.write_bytes(bytes(data))
    return p


# ------------------------------------------------------------------ TIFF
def tiff_bytes(width, height, *, strip_offset=8, compression=1, strip_bytes=1000):
    """A little-endian classic TIFF: one 8-bit grey strip of ``strip_bytes`` bytes."""
    entries = [(256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, compression), (262, 3, 1),
               (273, 4, strip_offset), (277, 3, 1), (278, 4, height), (279, 4, strip_bytes)]
    data = bytes(range(256)) * (strip_bytes // 256) + bytes(strip_bytes % 256)
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, 1) + packed
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8 + len(data)) + data + ifd


def make_corrupt_tiff(d):
    """A whole TIFF whose first-IFD offset points 100 MB past its end."""
    p = d / "corrupt.tif"
    tifffile.imwrite(p, beads())
    data = bytearray(p.read_bytes())
    data[4:8] = struct.pack("<I", 10**8)
    p.write_bytes(bytes(data))
    return p


def make_tiff_strip_past_end(d):
    p = d / "strip_past_end.tif"
    p.write_bytes(tiff_bytes(40, 25, strip_offset=10**6))
    return p


def make_tiff_unknown_compression(d):
    p = d / "unknown_compression.tif"
    p.write_bytes(tiff_bytes(40, 25, compression=60000))
    return p


def make_tiff_lzw(d):
    """A TIFF tagged LZW (compression 5), whose decoder is the optional imagecodecs."""
    p = d / "lzw.tif"
    p.write_bytes(tiff_bytes(40, 25, compression=5))
    return p


def make_tiff_bomb(d):
    p = d / "bomb.tif"
    p.write_bytes(tiff_bytes(BOMB_SIDE, BOMB_SIDE))
    return p


def make_5d_tiff(d):
    p = d / "five_d.tif"
    tifffile.imwrite(p, np.zeros((2, 2, 3, 32, 32), np.uint16), photometric="minisblack")
    return p


# ------------------------------------------------------------------ shapes and values
def _png(d, name, array):
    p = d / name
    iio.imwrite(p, array)
    return p


def make_1xn(d):
    return _png(d, "one_by_n.png", beads()[:1])


def make_2x2(d):
    return _png(d, "two_by_two.png", beads()[:2, :2])


def make_1x100000(d):
    return _png(d, "one_by_100000.png", np.random.default_rng(0).integers(0, 256, (1, 100_000), dtype=np.uint8))


def make_all_zero(d):
    return _png(d, "black.png", np.zeros((48, 64), np.uint8))


def make_all_saturated(d):
    return _png(d, "white.png", np.full((48, 64, 3), 255, np.uint8))


def make_minus_inf_rgb_tiff(d):
    p = d / "minus_inf.tif"
    a = beads(rgb=True, dtype=np.float32)
    a[5, 7, 1] = -np.inf
    tifffile.imwrite(p, a, photometric="rgb")
    return p


def make_animated_png(d):
    p = d / "animated.png"
    frames = [Image.fromarray(beads(seed=s)) for s in range(3)]
    frames[0].save(p, save_all=True, append_images=frames[1:])
    return p


def make_no_extension(d):
    p = d / "photo"
    p.write_bytes(png_bytes(16, 16))
    return p


def make_broken_link(d):
    p = d / "link.png"
    p.symlink_to(d / "gone.png")
    return p


def make_fifo(d):
    import os

    p = d / "pipe.png"
    os.mkfifo(p)
    return p


# ------------------------------------------------------------------ odd but valid
def cmyk_jpeg(path, rgb):
    """``rgb`` saved as a CMYK JPEG (Pillow's own conversion), as print workflows save."""
    Image.fromarray(rgb).convert("CMYK").save(path, quality=95)
    return path


def palette_png(path, grey, *, transparency=False):
    image = Image.fromarray(grey).convert("P")
    if transparency:
        image.info["transparency"] = 0
    image.save(path)
    return path


def mpo_jpeg(path, rgb):
    """A two-frame MPO, as some phone cameras save a JPEG: ``rgb`` first, a darker copy
    second."""
    first, second = Image.fromarray(rgb), Image.fromarray(rgb // 2)
    first.save(path, format="MPO", save_all=True, append_images=[second], quality=95)
    return path
