"""histdip.io.omezarr: OME-Zarr read lazily, written tile by tile and renamed into place."""

import numpy as np
import pytest
import zarr
from ome_zarr.format import FormatV04
from ome_zarr.writer import write_image

from histdip.errors import InputError
from histdip.io.omezarr import OmeZarrWriter, is_omezarr_path, open_omezarr, pyramid_factors

AXES = [{"name": "c", "type": "channel"}, {"name": "y", "type": "space"}, {"name": "x", "type": "space"}]
UNITS = {"y": "micrometer", "x": "micrometer"}
WINDOW = {"min": 0, "max": 255, "start": 0, "end": 255}


def make_input(path, *, version="0.4"):
    """A (2, 300, 400) uint8 image with pixel size 0.5 x 0.25 µm and two named channels,
    written by ome-zarr itself."""
    img = (np.random.default_rng(0).random((2, 300, 400)) * 255).astype(np.uint8)
    fmt = FormatV04() if version == "0.4" else None
    group = zarr.open_group(str(path), mode="w", zarr_format=2 if version == "0.4" else 3)
    write_image(img, group, axes=AXES, scale={"c": 1.0, "y": 0.5, "x": 0.25}, axes_units=UNITS, scale_factors=(2,),
                storage_options={"chunks": (1, 128, 128)}, fmt=fmt,
                omero={"channels": [{"label": "DAPI", "color": "0000FF", "window": WINDOW},
                                    {"label": "GFP", "color": "00FF00", "window": WINDOW}]})
    return img


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_open_reads_axes_pixel_size_and_channel_names_lazily(tmp_path, version):
    img = make_input(tmp_path / "in.ome.zarr", version=version)
    src = open_omezarr(tmp_path / "in.ome.zarr")
    assert src.axes == ("c", "y", "x") and src.shape == (2, 300, 400) and src.yx == (300, 400)
    assert src.scale == {"c": 1.0, "y": 0.5, "x": 0.25} and src.units == UNITS
    assert src.channel_names == ["DAPI", "GFP"] and src.channel_colors == ["0000FF", "00FF00"]
    assert src.version == version and len(src.levels) == 2 and not src.is_rgb
    assert hasattr(src.array, "compute")  # a dask array: nothing read yet
    np.testing.assert_array_equal(np.asarray(src.array[1, 10:20, 30:50]), img[1, 10:20, 30:50])


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_written_tile_by_tile_the_output_keeps_axes_scale_and_channel_names(tmp_path, version):
    make_input(tmp_path / "in.ome.zarr", version=version)
    src = open_omezarr(tmp_path / "in.ome.zarr")
    expected = np.random.default_rng(1).random((2, 600, 520)).astype(np.float32)
    with OmeZarrWriter(tmp_path / "out.ome.zarr", (2, 600, 520), src.axes, (1, 256, 256), scale=src.scale,
                       units=src.units, channel_names=src.channel_names, channel_colors=src.channel_colors,
                       version=src.version) as writer:
        for c in range(2):
            for y in range(0, 600, 256):
                for x in range(0, 520, 256):
                    writer.write({"c": c}, y, x, expected[c, y:y + 256, x:x + 256])
    out = open_omezarr(tmp_path / "out.ome.zarr")
    assert (out.axes, out.scale, out.units) == (src.axes, src.scale, src.units)
    assert out.channel_names == ["DAPI", "GFP"] and out.channel_colors == ["0000FF", "00FF00"]
    assert out.version == version and out.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(out.array), expected)
    # the pyramid: halvings while the shorter side keeps MIN_LEVEL_SIDE pixels
    assert [lv.shape for lv in out.levels] == [(2, 600, 520), (2, 300, 260)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ome.zarr", "out.ome.zarr"]  # no temporary left


def test_a_failed_write_leaves_nothing_and_an_existing_output_is_refused(tmp_path):
    out = tmp_path / "out.ome.zarr"
    with pytest.raises(RuntimeError, match="stop"):
        with OmeZarrWriter(out, (64, 64), ("y", "x"), (32, 32)) as writer:
            writer.write({}, 0, 0, np.ones((32, 32)))
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []
    with OmeZarrWriter(out, (64, 64), ("y", "x"), (32, 32)) as writer:
        writer.write({}, 0, 0, np.ones((64, 64)))
    with pytest.raises(InputError, match="already exists"):
        OmeZarrWriter(out, (64, 64), ("y", "x"), (32, 32))
    with OmeZarrWriter(out, (64, 64), ("y", "x"), (32, 32), overwrite=True) as writer:
        writer.write({}, 0, 0, np.full((64, 64), 2.0))
    assert float(np.asarray(open_omezarr(out).array).min()) == 2.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ome.zarr"]
    with pytest.raises(InputError, match="would overwrite the input"):
        OmeZarrWriter(out, (64, 64), ("y", "x"), (32, 32), overwrite=True, protect=[out])


def _text_file(d):
    (d / "file.zarr").write_text("x")
    return d / "file.zarr"


def _plain_group(d):
    zarr.open_group(str(d / "plain.zarr"), mode="w")
    return d / "plain.zarr"


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.zarr", "no such OME-Zarr image"),
    (_text_file, "a .zarr image is a folder"),
    (_plain_group, "no multiscales"),
])
def test_what_is_not_an_omezarr_image_is_one_line(tmp_path, make, message):
    with pytest.raises(InputError, match=message) as err:
        open_omezarr(make(tmp_path))
    assert "\n" not in str(err.value)


def test_zarr_paths_and_pyramid_sizes(tmp_path):
    make_input(tmp_path / "in.ome.zarr")
    (tmp_path / "stack").mkdir()
    assert is_omezarr_path(tmp_path / "in.ome.zarr") and is_omezarr_path(tmp_path / "x.zarr")
    assert not is_omezarr_path(tmp_path / "stack") and not is_omezarr_path(tmp_path / "photo.tif")
    assert pyramid_factors(300, 400) == []
    assert pyramid_factors(600, 520) == [2] and pyramid_factors(8000, 8000) == [2, 4, 8, 16]
