"""Shared helpers of the test suite: small images, the command line in-process, and the
bad input files every reading command must refuse in one line.

Import as ``from tests.helpers import ...`` (the repository root is on the test path).
"""

import warnings
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from histdip.cli.main import main
from histdip.errors import InputError, OutputError
from histdip.io import MIN_SIDE, read_image

RNG = np.random.default_rng(0)


def cli(capsys, *argv):
    """Run ``histdip ARGV`` in this process: (exit code, stdout, stderr)."""
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(err, command, *needles):
    """``err`` is one line ``histdip COMMAND: error: ...`` holding every needle, no traceback."""
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith(f"histdip {command}: error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert str(needle) in lines[0], (needle, err)


def assert_read_refused(path, needle):
    """``read_image(path)`` raises an :class:`InputError` (not an output's) of one line
    that starts with the path and holds ``needle``."""
    with pytest.raises(InputError) as info:
        read_image(path)
    assert not isinstance(info.value, OutputError)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ") and needle in message, message


def files_under(folder):
    """Every path below ``folder``, relative, sorted ([] when it does not exist)."""
    folder = Path(folder)
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def beads(shape=(48, 64), dtype=np.uint8, rgb=False, seed=0):
    """A dim noisy background with three bright square beads."""
    rng = np.random.default_rng(seed)
    g = np.clip(rng.normal(30, 8, shape), 1, 255)
    h, w = shape
    for y, x in ((h // 4, w // 4), (h // 2, 2 * w // 3), (3 * h // 4, w // 3)):
        g[y - 3 : y + 3, x - 3 : x + 3] = rng.uniform(170, 230)
    if dtype == np.uint16:
        g = g * 257
    elif np.issubdtype(dtype, np.floating):
        g = g / 255.0
    if rgb:
        g = np.stack([0.2 * g, g, 0.1 * g], axis=-1)
    return g.astype(dtype) if np.issubdtype(dtype, np.floating) else np.rint(g).astype(dtype)


def filament_and_blob():
    """A dim filament with one bright end, and a dim blob joined to nothing bright."""
    img = np.full((40, 60), 10, np.uint8)
    img[10:13, 5:30] = 60
    img[10:13, 5:8] = 200
    img[25:30, 40:45] = 60
    return img


def save_png(path, array):
    iio.imwrite(path, array)
    return path


# ------------------------------------------------------------------ bad input files

def _png_bytes(shape=(37, 53)):
    import io as _io

    buf = _io.BytesIO()
    iio.imwrite(buf, RNG.integers(0, 256, shape, dtype=np.uint8), extension=".png")
    return buf.getvalue()


def make_truncated_png(d):
    p = d / "trunc.png"
    data = _png_bytes()
    p.write_bytes(data[: len(data) // 2])
    return p


def make_truncated_jpeg(d):
    p = d / "trunc.jpg"
    iio.imwrite(p, RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    p.write_bytes(p.read_bytes()[:300])
    return p


def make_truncated_tiff(d):
    p = d / "trunc.tif"
    tifffile.imwrite(p, RNG.integers(0, 65535, (64, 64), dtype=np.uint16))
    p.write_bytes(p.read_bytes()[:400])
    return p


def make_empty(d):
    p = d / "empty.png"
    p.write_bytes(b"")
    return p


def make_text(d):
    p = d / "notes.tif"
    p.write_text("this is not an image\n")
    return p


def make_garbage(d):
    p = d / "garbage.png"
    p.write_bytes(bytes(range(256)) * 4)
    return p


def make_folder(d):
    p = d / "folder.png"
    p.mkdir()
    return p


def make_missing(d):
    return d / "missing.png"


def _float_tiff_with(d, name, value, where):
    p = d / name
    a = RNG.random((32, 32)).astype(np.float32)
    a[where] = value
    tifffile.imwrite(p, a)
    return p


def make_nan_tiff(d):
    return _float_tiff_with(d, "nan.tif", np.nan, (3, 4))


def make_inf_tiff(d):
    return _float_tiff_with(d, "inf.tif", np.inf, (0, 0))


def make_1x1(d):
    p = d / "one.png"
    iio.imwrite(p, np.zeros((1, 1), np.uint8))
    return p


def make_thin(d):
    p = d / "thin.png"
    iio.imwrite(p, np.zeros((64, MIN_SIDE - 1), np.uint8))
    return p


def make_zero_pixels(d):
    p = d / "zero.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tifffile warns about a zero-size page
        tifffile.imwrite(p, np.zeros((0, 16), np.uint8))
    return p


def make_stack(d):
    p = d / "stack.tif"
    tifffile.imwrite(p, np.zeros((7, 32, 32), np.uint16))
    return p


def make_4d(d):
    p = d / "hyper.tif"
    tifffile.imwrite(p, np.zeros((2, 3, 32, 32), np.uint16), photometric="minisblack")
    return p


def make_unsupported(d):
    p = d / "photo.gif"
    p.write_bytes(b"GIF89a" + bytes(100))
    return p


BAD_INPUTS = {
    "truncated png": (make_truncated_png, "corrupt or truncated PNG"),
    "truncated jpeg": (make_truncated_jpeg, "corrupt or truncated JPEG"),
    "truncated tiff": (make_truncated_tiff, "corrupt or truncated TIFF"),
    "empty file": (make_empty, "empty"),
    "text file": (make_text, "text file"),
    "garbage": (make_garbage, "not a PNG image"),
    "folder": (make_folder, "is a folder"),
    "missing": (make_missing, "no such file"),
    "nan tiff": (make_nan_tiff, "NaN"),
    "inf tiff": (make_inf_tiff, "Inf"),
    "1x1 png": (make_1x1, "1x1"),
    "too thin": (make_thin, f"at least {MIN_SIDE}x{MIN_SIDE}"),
    "0 pixels": (make_zero_pixels, "no pixels"),
    "z-stack": (make_stack, "axes are not named"),
    "4-D stack": (make_4d, "axes are not named"),
    "unsupported extension": (make_unsupported, "unsupported file type .gif"),
}
