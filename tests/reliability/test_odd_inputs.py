"""Odd but valid inputs: read with the values the file holds, and restored.

Each file is checked twice: :func:`histdip.io.read_image` gives the array a viewer would
show (a palette's colours, not its indices; a CMYK JPEG's colours, not its inks; 16 bits
kept), and ``histdip restore`` (a tiny fit) writes an output of the input's size.
"""

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile
from PIL import Image

from histdip.io import read_image
from tests.helpers import beads, cli, files_under
from tests.reliability.crafted import cmyk_jpeg, mpo_jpeg, palette_png

GREY = beads()  # (48, 64) uint8
RGB = beads(rgb=True)


def _grey_as_rgb():
    return np.repeat(GREY[..., None], 3, axis=-1)


#: case -> (file name, writer, the array read_image must give (its dtype too), tolerance). A
#: JPEG's tolerance is its mean absolute error (its loss, chroma subsampled): a CMYK JPEG
#: read as inks, or a palette as indices, misses by about 200.
ODD = {
    "palette png": ("palette.png", lambda p: palette_png(p, GREY), _grey_as_rgb, 0),
    "palette png with transparency": ("palette_t.png", lambda p: palette_png(p, GREY, transparency=True),
                                      _grey_as_rgb, 0),
    "RGBA png": ("rgba.png", lambda p: iio.imwrite(p, np.dstack([RGB, np.full(GREY.shape, 90, np.uint8)])),
                 lambda: RGB, 0),
    "grey + alpha png": ("la.png", lambda p: Image.merge("LA", [Image.fromarray(GREY)] * 2).save(p),
                         lambda: GREY, 0),
    "1-bit png": ("bits.png", lambda p: Image.fromarray(GREY > 100).convert("1").save(p),
                  lambda: np.where(GREY > 100, 255, 0).astype(np.uint8), 0),
    "16-bit png": ("sixteen.png", lambda p: iio.imwrite(p, GREY.astype(np.uint16) * 257),
                   lambda: GREY.astype(np.uint16) * 257, 0),
    "CMYK jpeg": ("cmyk.jpg", lambda p: cmyk_jpeg(p, RGB), lambda: RGB, 5),
    "MPO jpeg (two frames)": ("phone.jpg", lambda p: mpo_jpeg(p, RGB), lambda: RGB, 5),
    "progressive jpeg": ("progressive.jpg", lambda p: Image.fromarray(RGB).save(p, progressive=True, quality=95),
                         lambda: RGB, 5),
    "grey jpeg": ("grey.jpeg", lambda p: Image.fromarray(GREY).save(p, quality=95), lambda: GREY, 5),
    "BigTIFF": ("big.tif", lambda p: tifffile.imwrite(p, GREY, bigtiff=True), lambda: GREY, 0),
    "big-endian tiff": ("be.tif", lambda p: tifffile.imwrite(p, GREY.astype(np.uint16), byteorder=">"),
                        lambda: GREY.astype(np.uint16), 0),
    "tiled, deflated tiff": ("tiled.tif", lambda p: tifffile.imwrite(p, GREY, tile=(16, 16), compression="zlib"),
                             lambda: GREY, 0),
    "float64 tiff": ("f64.tif", lambda p: tifffile.imwrite(p, GREY / 255.0), lambda: GREY / 255.0, 1e-12),
    "int16 tiff": ("i16.tif", lambda p: tifffile.imwrite(p, GREY.astype(np.int16) - 100),
                   lambda: GREY.astype(np.float32) - 100, 0),
    "bmp": ("photo.bmp", lambda p: iio.imwrite(p, RGB), lambda: RGB, 0),
    "upper-case extension": ("PHOTO.TIF", lambda p: tifffile.imwrite(p, GREY), lambda: GREY, 0),
    "png named .jpg": ("really_png.jpg", lambda p: iio.imwrite(p, GREY, extension=".png"), lambda: GREY, 0),
    "exactly 8 x 8": ("small.png", lambda p: iio.imwrite(p, GREY[8:16, 12:20]), lambda: GREY[8:16, 12:20], 0),
    "unicode and spaces in the path": ("données été/ photo 📷 1.png", lambda p: iio.imwrite(p, GREY),
                                       lambda: GREY, 0),
}


def _make(tmp_path, case):
    name, writer, expected, tolerance = ODD[case]
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    writer(path)
    return path, expected(), tolerance


@pytest.mark.parametrize("case", sorted(ODD))
def test_read_image_gives_what_the_file_shows(tmp_path, case):
    path, expected, tolerance = _make(tmp_path, case)
    array = read_image(path)
    assert (array.shape, array.dtype) == (expected.shape, expected.dtype)
    error = np.abs(array.astype(np.float64) - expected.astype(np.float64))
    assert (error.mean() if path.suffix.lower() in (".jpg", ".jpeg") else error.max()) <= tolerance


@pytest.mark.parametrize("case", sorted(ODD))
def test_restore_writes_an_output_of_the_inputs_size(tmp_path, capsys, case):
    path, expected, _ = _make(tmp_path, case)
    out = tmp_path / "dossier de sortie é"
    rc, printed, err = cli(capsys, "restore", path, "--outdir", out, "--iterations", "3", "--stop", "fixed", "-q")
    assert rc == 0, err
    stem = path.name[: -len(path.suffix)]
    restored = tifffile.imread(out / f"{stem}_histdip.tif")
    assert restored.shape[:2] == expected.shape[:2] and np.isfinite(restored).all()
    assert f"{stem}_histdip.json" in files_under(out)
