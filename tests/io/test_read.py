"""histdip.io.read: read_image keeps the file's dtype, normalises the axes, and refuses
every file it cannot use with one line naming the file."""

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from histdip.errors import InputError
from histdip.io import MIN_SIDE, read_image
from histdip.validate import MIN_SIDE as VALIDATE_MIN_SIDE
from histdip.validate import validate_image
from tests.helpers import BAD_INPUTS, assert_read_refused, save_png

RNG = np.random.default_rng(0)


# ------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_input_error(tmp_path, case):
    make, expected = BAD_INPUTS[case]
    assert_read_refused(make(tmp_path), expected)


def test_read_and_validate_agree_on_the_smallest_side(tmp_path):
    # What read_image accepts, the pipeline's validate_image accepts too, and no less.
    assert MIN_SIDE == VALIDATE_MIN_SIDE
    smallest = save_png(tmp_path / "min.png", np.zeros((MIN_SIDE, MIN_SIDE), np.uint8))
    assert validate_image(read_image(smallest)).shape == (MIN_SIDE, MIN_SIDE)
    thin = save_png(tmp_path / "thin.png", np.zeros((MIN_SIDE, MIN_SIDE - 1), np.uint8))
    with pytest.raises(InputError):
        read_image(thin)
    with pytest.raises(InputError):
        validate_image(np.zeros((MIN_SIDE, MIN_SIDE - 1), np.uint8))


# ------------------------------------------------------------------ good inputs
def test_read_png_uint8_grey_and_rgb(tmp_path):
    grey = RNG.integers(0, 256, (37, 53), dtype=np.uint8)
    rgb = RNG.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    np.testing.assert_array_equal(read_image(save_png(tmp_path / "g.png", grey)), grey)
    np.testing.assert_array_equal(read_image(save_png(tmp_path / "c.png", rgb)), rgb)


def test_rgba_png_drops_alpha_and_grey_alpha_becomes_grey(tmp_path):
    rgba = RNG.integers(0, 256, (20, 30, 4), dtype=np.uint8)
    np.testing.assert_array_equal(read_image(save_png(tmp_path / "a.png", rgba)), rgba[..., :3])
    la = RNG.integers(0, 256, (20, 30, 2), dtype=np.uint8)
    np.testing.assert_array_equal(read_image(save_png(tmp_path / "la.png", la)), la[..., 0])


def test_read_tiff_native_dtypes(tmp_path):
    u16 = RNG.integers(0, 65536, (21, 33), dtype=np.uint16)
    f32 = RNG.random((21, 33)).astype(np.float32)
    tifffile.imwrite(tmp_path / "u16.tif", u16)
    tifffile.imwrite(tmp_path / "f32.tiff", f32)
    a = read_image(tmp_path / "u16.tif")
    b = read_image(tmp_path / "f32.tiff")
    assert a.dtype == np.uint16 and b.dtype == np.float32
    np.testing.assert_array_equal(a, u16)
    np.testing.assert_array_equal(b, f32)


def test_channel_first_tiff_moves_to_channel_last(tmp_path):
    cf = RNG.integers(0, 65536, (3, 20, 30), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "cf.tif", cf, photometric="minisblack", planarconfig="separate")
    out = read_image(tmp_path / "cf.tif")
    assert out.shape == (20, 30, 3)
    np.testing.assert_array_equal(out, np.moveaxis(cf, 0, -1))


def test_two_channel_tiff_keeps_both_planes(tmp_path):
    two = RNG.integers(0, 256, (2, 20, 30), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "two.tif", two)
    assert read_image(tmp_path / "two.tif").shape == (20, 30, 2)


def test_singleton_axes_dropped(tmp_path):
    a = RNG.integers(0, 256, (1, 1, 20, 30), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "s.tif", a)
    assert read_image(tmp_path / "s.tif").shape == (20, 30)


def test_other_integer_types_become_float32(tmp_path):
    a = RNG.integers(-100, 100, (16, 16), dtype=np.int16)
    tifffile.imwrite(tmp_path / "i16.tif", a)
    out = read_image(tmp_path / "i16.tif")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, a.astype(np.float32))


def test_png_with_tif_name_reads_by_content(tmp_path):
    grey = RNG.integers(0, 256, (16, 16), dtype=np.uint8)
    p = tmp_path / "mislabelled.tif"
    iio.imwrite(p, grey, extension=".png")
    assert p.read_bytes().startswith(b"\x89PNG")
    np.testing.assert_array_equal(read_image(p), grey)
