"""histdip.io.write: what write_image stores (.tif float32 or the input's dtype, .png
8/16-bit) and what it refuses, leaving nothing behind."""

import os

import numpy as np
import pytest
import tifffile

from histdip.errors import HistdipError, InputError
from histdip.io import display_range, encode_for_file, read_image, write_image
from tests.helpers import files_under

RNG = np.random.default_rng(0)


def test_write_tif_float32_default_and_keep_dtype(tmp_path):
    data = np.array([[-3.0, 0.4, 0.6, 70000.0]] * 8, dtype=np.float32)
    write_image(tmp_path / "f.tif", data, like_dtype=np.uint16)
    back = tifffile.imread(tmp_path / "f.tif")
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, data)
    write_image(tmp_path / "k.tif", data, like_dtype=np.uint16, keep_dtype=True)
    back = tifffile.imread(tmp_path / "k.tif")
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back[0], [0, 0, 1, 65535])  # rounded and clipped


def test_png_scaling_by_input_type():
    v = np.array([[0.0, 257.0, 65535.0, 128.4]])
    np.testing.assert_array_equal(encode_for_file(v, ".png", like_dtype=np.uint16), [[0, 1, 255, 0]])
    np.testing.assert_array_equal(encode_for_file(v, ".png", like_dtype=np.uint8), [[0, 255, 255, 128]])
    unit = np.array([[0.0, 0.5, 1.0]])
    np.testing.assert_array_equal(encode_for_file(unit, ".png", like_dtype=np.float32), [[0, 128, 255]])
    np.testing.assert_array_equal(
        encode_for_file(unit, ".png", like_dtype=np.float32, value_range=(0.0, 2.0)), [[0, 64, 128]]
    )
    sixteen = encode_for_file(v, ".png", like_dtype=np.uint16, keep_dtype=True)
    assert sixteen.dtype == np.uint16
    np.testing.assert_array_equal(sixteen, [[0, 257, 65535, 128]])


def test_display_range():
    assert display_range(np.array([0.1, 0.9])) == (0.0, 1.0)
    assert display_range(np.array([0.0, 200.0])) == (0.0, 255.0)
    assert display_range(np.array([-5.0, 1000.0])) == (-5.0, 1000.0)
    assert display_range(np.zeros(3, np.uint16)) == (0.0, 65535.0)


def test_png_uint8_round_trip(tmp_path):
    a = RNG.integers(0, 256, (37, 53), dtype=np.uint8)
    write_image(tmp_path / "a.png", a.astype(np.float32), like_dtype=np.uint8)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), a)


@pytest.mark.parametrize("name", ["x.jpg", "x.jpeg", "x.bmp", "x"])
def test_refused_output_formats(tmp_path, name):
    with pytest.raises(InputError):
        write_image(tmp_path / name, np.zeros((8, 8), np.float32))
    assert files_under(tmp_path) == []


def test_missing_output_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_image(tmp_path / "nope" / "x.tif", np.zeros((8, 8)))
    assert files_under(tmp_path) == []


def test_nan_result_not_written(tmp_path):
    a = np.zeros((8, 8), np.float32)
    a[1, 1] = np.nan
    with pytest.raises(HistdipError, match="NaN"):
        write_image(tmp_path / "x.tif", a)
    assert files_under(tmp_path) == []


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def broken(path, data, **kw):
        with open(path, "wb") as f:
            f.write(b"II*\x00partial")
        raise OSError("disk full")

    monkeypatch.setattr(tifffile, "imwrite", broken)
    with pytest.raises(OSError):
        write_image(tmp_path / "x.tif", np.zeros((8, 8)))
    assert files_under(tmp_path) == []


def test_written_file_mode_is_not_private(tmp_path):
    write_image(tmp_path / "x.tif", np.zeros((8, 8)))
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "x.tif").stat().st_mode & 0o777 == 0o666 & ~umask
