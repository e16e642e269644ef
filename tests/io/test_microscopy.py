"""histdip.io.microscopy: OME-TIFF, ImageJ and shaped TIFF stacks read with their axes,
pixel sizes and channel names, and written back as the same kind of file."""

import glob

import numpy as np
import pytest
import tifffile

from histdip.errors import InputError
from histdip.io import (MicroscopyMeta, probe_microscopy, read_image, read_microscopy, read_pixel_size,
                        write_microscopy)
from tests.helpers import beads, save_png

NAMES = ("DAPI", "GFP", "mCherry")


def time_lapse(shape=(3, 3, 48, 64)):
    """T x C x Y x X uint16: beads, each channel dimmer than the one before."""
    t, c = shape[:2]
    return np.stack([np.stack([beads(shape[2:], np.uint16, seed=i) // (j + 1) for j in range(c)])
                     for i in range(t)])


def write_ome(path, data, axes="TCYX", names=NAMES, size=0.65):
    metadata = {"axes": axes, "PhysicalSizeX": size, "PhysicalSizeXUnit": "µm", "PhysicalSizeY": size,
                "PhysicalSizeYUnit": "µm", "TimeIncrement": 2.5, "TimeIncrementUnit": "s"}
    if names:
        metadata["Channel"] = {"Name": list(names)}
    tifffile.imwrite(path, data, ome=True, photometric="minisblack", metadata=metadata)
    return path


def write_imagej_z(path, data, spacing=1.5, per_um=5.0):
    tifffile.imwrite(path, data, imagej=True, resolution=(per_um, per_um),
                     metadata={"axes": "ZYX", "spacing": spacing, "unit": "um"})
    return path


def test_ome_time_lapse_reads_with_axes_names_and_pixel_size(tmp_path):
    data = time_lapse()
    array, meta = read_microscopy(write_ome(tmp_path / "lapse.ome.tif", data))
    assert meta.kind == "ome" and meta.axes == "TCYX" and meta.is_stack
    np.testing.assert_array_equal(array, data)
    assert array.dtype == np.uint16 and meta.shape == data.shape
    assert meta.channel_names == NAMES
    assert meta.pixel_size == pytest.approx({"X": 0.65, "Y": 0.65})
    assert meta.frame_interval == pytest.approx(2.5)


def test_ome_units_other_than_microns_are_converted(tmp_path):
    path = tmp_path / "nm.ome.tif"
    tifffile.imwrite(path, time_lapse((2, 1, 16, 16))[:, 0], ome=True,
                     metadata={"axes": "ZYX", "PhysicalSizeX": 650, "PhysicalSizeXUnit": "nm",
                               "PhysicalSizeY": 650, "PhysicalSizeYUnit": "nm",
                               "PhysicalSizeZ": 2, "PhysicalSizeZUnit": "mm"})
    meta = probe_microscopy(path)
    assert meta.axes == "ZYX"
    assert meta.pixel_size == pytest.approx({"X": 0.65, "Y": 0.65, "Z": 2000.0})


def test_imagej_z_stack_reads_with_its_spacing(tmp_path):
    data = np.random.default_rng(0).random((5, 48, 64), dtype=np.float32)
    array, meta = read_microscopy(write_imagej_z(tmp_path / "z.tif", data))
    assert meta.kind == "imagej" and meta.axes == "ZYX" and meta.is_stack
    np.testing.assert_array_equal(array, data)
    assert meta.pixel_size == pytest.approx({"X": 0.2, "Y": 0.2, "Z": 1.5})
    assert meta.channel_names is None


def test_imagej_channel_labels_are_the_channel_names(tmp_path):
    path = tmp_path / "tc.tif"
    tifffile.imwrite(path, time_lapse((2, 3, 16, 16)), imagej=True,
                     metadata={"axes": "TCYX", "Labels": list(NAMES) * 2})
    assert probe_microscopy(path).channel_names == NAMES


def test_what_is_a_stack(tmp_path):
    # A 2-D OME image, a colour photo (S) and a tifffile stack of unnamed frames are not.
    two_d = probe_microscopy(write_ome(tmp_path / "one.ome.tif", beads(), axes="YX", names=None))
    assert (two_d.kind, two_d.axes, two_d.is_stack) == ("ome", "YX", False)
    rgb = tmp_path / "rgb.tif"
    tifffile.imwrite(rgb, beads(rgb=True), photometric="rgb")
    assert not probe_microscopy(rgb).is_stack
    frames = tmp_path / "frames.tif"
    tifffile.imwrite(frames, np.zeros((7, 16, 16), np.uint16))
    assert probe_microscopy(frames).axes == "QYX" and not probe_microscopy(frames).is_stack
    named = tmp_path / "named.tif"
    tifffile.imwrite(named, np.zeros((7, 16, 16), np.uint16), metadata={"axes": "ZYX"})
    assert probe_microscopy(named).kind == "plain" and probe_microscopy(named).is_stack


def test_probe_gives_none_for_what_is_not_a_tiff(tmp_path):
    assert probe_microscopy(save_png(tmp_path / "a.png", beads())) is None
    garbage = tmp_path / "bad.tif"
    garbage.write_bytes(b"II*\x00" + bytes(20))
    assert probe_microscopy(garbage) is None
    assert probe_microscopy(tmp_path / "missing.tif") is None


def test_read_refuses_in_one_line(tmp_path):
    text = tmp_path / "notes.tif"
    text.write_text("hello")
    with pytest.raises(InputError, match="not a TIFF"):
        read_microscopy(text)
    nan = tmp_path / "nan.tif"
    stack = np.ones((3, 16, 16), np.float32)
    stack[1, 2, 2] = np.nan
    tifffile.imwrite(nan, stack, imagej=True, metadata={"axes": "ZYX"})
    with pytest.raises(InputError, match="NaN") as err:
        read_microscopy(nan)
    assert "\n" not in str(err.value)


def test_ome_round_trip_keeps_the_metadata(tmp_path):
    data = time_lapse()
    _, meta = read_microscopy(write_ome(tmp_path / "in.ome.tif", data))
    out = write_microscopy(tmp_path / "out.ome.tif", data.astype(np.float32) / 3, meta)
    back, again = read_microscopy(out)
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, data.astype(np.float32) / 3)
    assert (again.kind, again.axes, again.channel_names) == ("ome", "TCYX", NAMES)
    assert again.pixel_size == pytest.approx(meta.pixel_size)
    assert again.frame_interval == pytest.approx(2.5)
    assert read_pixel_size(out) == pytest.approx(0.65)


def test_imagej_round_trip_keeps_spacing_and_keeps_dtype(tmp_path):
    data = (np.arange(5 * 16 * 16, dtype=np.float32).reshape(5, 16, 16)) * 10.3
    _, meta = read_microscopy(write_imagej_z(tmp_path / "in.tif", data.astype(np.uint16)))
    out = write_microscopy(tmp_path / "out.tif", data + 0.4, meta, like_dtype=np.uint16, keep_dtype=True)
    back, again = read_microscopy(out)
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, np.clip(np.rint(data + 0.4), 0, 65535).astype(np.uint16))
    assert again.kind == "imagej" and again.axes == "ZYX"
    assert again.pixel_size == pytest.approx({"X": 0.2, "Y": 0.2, "Z": 1.5})


def test_plain_stack_round_trip_keeps_axes_and_pixel_size(tmp_path):
    meta = MicroscopyMeta(axes="ZYX", kind="plain", pixel_size={"X": 0.5, "Y": 0.5})
    out = write_microscopy(tmp_path / "p.tif", np.zeros((2, 16, 16), np.float32), meta)
    again = probe_microscopy(out)
    assert again.axes == "ZYX" and again.kind == "plain"
    assert again.pixel_size == pytest.approx({"X": 0.5, "Y": 0.5})


def test_write_is_atomic_and_refuses_png_and_clobbering(tmp_path):
    meta = MicroscopyMeta(axes="ZYX", kind="imagej")
    data = np.zeros((2, 16, 16), np.float32)
    with pytest.raises(InputError, match="written as TIFF"):
        write_microscopy(tmp_path / "x.png", data, meta)
    out = write_microscopy(tmp_path / "x.tif", data, meta)
    with pytest.raises(InputError, match="already exists"):
        write_microscopy(out, data, meta)
    with pytest.raises(InputError, match="axes"):
        write_microscopy(tmp_path / "y.tif", data[0], meta)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.tif"]  # no partial file left


@pytest.mark.data
def test_real_imagej_frame_reads_as_one_plane(shared_data):
    # The Convallaria frame is an ImageJ TIFF: one 2-D plane, not a stack, read as read_image reads it.
    files = glob.glob(str(shared_data / "convallaria-pn2v-frame" / "*.tif"))
    if not files:
        pytest.skip("convallaria-pn2v-frame holds no TIFF")
    array, meta = read_microscopy(files[0])
    assert meta.kind == "imagej" and meta.axes == "YX" and not meta.is_stack
    np.testing.assert_array_equal(array, read_image(files[0]))
