"""histdip.io: reading with one-line errors, writing atomically without clobbering."""

import os
import warnings

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from histdip.errors import HistdipError, InputError
from histdip.io import (
    MIN_SIDE,
    OutputBatch,
    atomic_output,
    display_range,
    encode_for_file,
    read_image,
    write_image,
)

RNG = np.random.default_rng(0)


def _png_bytes(shape=(37, 53)):
    import io as _io

    buf = _io.BytesIO()
    iio.imwrite(buf, RNG.integers(0, 256, shape, dtype=np.uint8), extension=".png")
    return buf.getvalue()


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------------ bad inputs
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


def make_nan_tiff(d):
    p = d / "nan.tif"
    a = RNG.random((32, 32)).astype(np.float32)
    a[3, 4] = np.nan
    tifffile.imwrite(p, a)
    return p


def make_inf_tiff(d):
    p = d / "inf.tif"
    a = RNG.random((32, 32)).astype(np.float32)
    a[0, 0] = np.inf
    tifffile.imwrite(p, a)
    return p


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
    "z-stack": (make_stack, "stacks are not yet supported"),
    "4-D stack": (make_4d, "stacks are not yet supported"),
    "unsupported extension": (make_unsupported, "unsupported file type .gif"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_input_error(tmp_path, case):
    make, expected = BAD_INPUTS[case]
    path = make(tmp_path)
    with pytest.raises(InputError) as info:
        read_image(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:")
    assert expected in message


# ------------------------------------------------------------------ good inputs
def test_read_png_uint8_grey_and_rgb(tmp_path):
    grey = RNG.integers(0, 256, (37, 53), dtype=np.uint8)
    rgb = RNG.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    iio.imwrite(tmp_path / "g.png", grey)
    iio.imwrite(tmp_path / "c.png", rgb)
    np.testing.assert_array_equal(read_image(tmp_path / "g.png"), grey)
    np.testing.assert_array_equal(read_image(tmp_path / "c.png"), rgb)


def test_rgba_png_drops_alpha_and_grey_alpha_becomes_grey(tmp_path):
    rgba = RNG.integers(0, 256, (20, 30, 4), dtype=np.uint8)
    iio.imwrite(tmp_path / "a.png", rgba)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), rgba[..., :3])
    la = RNG.integers(0, 256, (20, 30, 2), dtype=np.uint8)
    iio.imwrite(tmp_path / "la.png", la)
    np.testing.assert_array_equal(read_image(tmp_path / "la.png"), la[..., 0])


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
    p = tmp_path / "mislabelled.tif"
    p.write_bytes(_png_bytes((16, 16)))
    assert read_image(p).shape == (16, 16)


# ------------------------------------------------------------------ writing
def test_write_tif_float32_default_and_keep_dtype(tmp_path):
    data = np.array([[-3.0, 0.4, 0.6, 70000.0]] * 8, dtype=np.float32)
    write_image(tmp_path / "f.tif", data, like_dtype=np.uint16)
    back = tifffile.imread(tmp_path / "f.tif")
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, data)
    write_image(tmp_path / "k.tif", data, like_dtype=np.uint16, keep_dtype=True)
    back = tifffile.imread(tmp_path / "k.tif")
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back[0], [0, 0, 1, 65535])


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
    assert _leftovers(tmp_path) == []


def test_refuses_to_overwrite_and_never_writes_protected(tmp_path):
    target = tmp_path / "out.tif"
    write_image(target, np.zeros((8, 8), np.float32))
    before = target.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        write_image(target, np.ones((8, 8), np.float32))
    assert target.read_bytes() == before
    write_image(target, np.ones((8, 8), np.float32), overwrite=True)
    assert target.read_bytes() != before
    with pytest.raises(InputError, match="overwrite the input"):
        write_image(target, np.ones((8, 8), np.float32), overwrite=True, protect=[target])
    # The same file through another spelling of the path is still protected.
    alias = tmp_path / "." / "out.tif"
    with pytest.raises(InputError, match="overwrite the input"):
        write_image(alias, np.ones((8, 8), np.float32), overwrite=True, protect=[target])
    assert _leftovers(tmp_path) == ["out.tif"]


def test_missing_output_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_image(tmp_path / "nope" / "x.tif", np.zeros((8, 8)))


def test_nan_result_not_written(tmp_path):
    a = np.zeros((8, 8), np.float32)
    a[1, 1] = np.nan
    with pytest.raises(HistdipError, match="NaN"):
        write_image(tmp_path / "x.tif", a)
    assert _leftovers(tmp_path) == []


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def broken(path, data, **kw):
        with open(path, "wb") as f:
            f.write(b"II*\x00partial")
        raise OSError("disk full")

    monkeypatch.setattr(tifffile, "imwrite", broken)
    with pytest.raises(OSError):
        write_image(tmp_path / "x.tif", np.zeros((8, 8)))
    assert _leftovers(tmp_path) == []


def test_atomic_output_interrupt_keeps_old_file(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target, overwrite=True) as tmp:
            tmp.write_text("new, half written")
            raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == ["keep.txt"]


def test_output_batch_all_or_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with OutputBatch() as batch:
            batch.stage(tmp_path / "a.txt").write_text("a")
            batch.stage(tmp_path / "sub" / "b.txt").write_text("b")
            raise RuntimeError("failed half way")
    assert _leftovers(tmp_path) == []
    with OutputBatch() as batch:
        batch.stage(tmp_path / "a.txt").write_text("a")
        batch.stage(tmp_path / "sub" / "b.txt").write_text("b")
        assert not (tmp_path / "a.txt").exists()  # nothing in place before the block ends
    assert _leftovers(tmp_path) == ["a.txt", "sub"]
    assert (tmp_path / "sub" / "b.txt").read_text() == "b"


def test_output_batch_refuses_existing_before_work(tmp_path):
    (tmp_path / "a.txt").write_text("mine")
    batch = OutputBatch()
    with pytest.raises(InputError, match="already exists"):
        batch.stage(tmp_path / "a.txt")
    assert (tmp_path / "a.txt").read_text() == "mine"


def test_written_file_mode_is_not_private(tmp_path):
    write_image(tmp_path / "x.tif", np.zeros((8, 8)))
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "x.tif").stat().st_mode & 0o777 == 0o666 & ~umask
