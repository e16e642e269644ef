"""`histdip restore` of a stack: an OME-TIFF or ImageJ TIFF with T, Z or C comes back with
its shape, axes and metadata, beside a JSON with one run record per plane."""

import json

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from histdip.io import read_microscopy
from tests.helpers import assert_one_line_error, beads, cli, files_under

FAST = ("--iterations", "5", "--stop", "fixed", "-q")
NAMES = ["DAPI", "GFP", "mCherry"]


def ome_time_lapse(path, t=3, c=3):
    data = np.stack([np.stack([beads((48, 64), np.uint16, seed=10 * i + j) // (j + 1) for j in range(c)])
                     for i in range(t)])
    tifffile.imwrite(path, data, ome=True, photometric="minisblack",
                     metadata={"axes": "TCYX", "PhysicalSizeX": 0.325, "PhysicalSizeXUnit": "µm",
                               "PhysicalSizeY": 0.325, "PhysicalSizeYUnit": "µm",
                               "Channel": {"Name": NAMES[:c] + [f"ch{k}" for k in range(3, c)]}})
    return path


def imagej_z_stack(path, z=4):
    data = np.stack([beads((48, 64), np.uint8, seed=k) for k in range(z)])
    tifffile.imwrite(path, data, imagej=True, resolution=(4.0, 4.0),
                     metadata={"axes": "ZYX", "spacing": 2.0, "unit": "um"})
    return path


def test_ome_time_lapse_keeps_shape_axes_metadata_and_dtype(tmp_path, capsys):
    src = ome_time_lapse(tmp_path / "lapse.ome.tif")
    rc, _, err = cli(capsys, "restore", src, "--outdir", tmp_path / "out", "--keep-dtype", *FAST)
    assert rc == 0, err
    assert files_under(tmp_path / "out") == [
        "lapse_histdip.json", "lapse_histdip.ome.tif", "lapse_histdip_background.ome.tif",
        "lapse_histdip_recording.ome.tif", "lapse_histdip_signal.ome.tif"]
    out, meta = read_microscopy(tmp_path / "out" / "lapse_histdip.ome.tif")
    assert out.shape == (3, 3, 48, 64) and out.dtype == np.uint16
    assert (meta.kind, meta.axes, meta.channel_names) == ("ome", "TCYX", tuple(NAMES))
    assert meta.pixel_size == pytest.approx({"X": 0.325, "Y": 0.325})
    record = json.loads((tmp_path / "out" / "lapse_histdip.json").read_text())
    assert record["histdip_config"]["iterations"] == 5
    assert record["stack"]["axes"] == "TCYX" and record["stack"]["channel_names"] == NAMES
    planes = record["planes"]
    assert len(planes) == 9
    assert planes[1]["index"] == {"t": 1, "c": 0}
    assert planes[1]["warm_start"] == {"source": "plane t=0 c=0", "iterations": 5}
    assert [p["warm_start"] for p in planes if p["index"]["t"] == 0] == [None, None, None]
    assert all({"threshold", "iterations", "stop_reason"} <= set(p) for p in planes)


def test_imagej_z_stack_keeps_its_spacing(tmp_path, capsys):
    src = imagej_z_stack(tmp_path / "z.tif")
    rc, out, err = cli(capsys, "restore", src, "--outdir", tmp_path / "out", "--iterations", "5", "--stop", "fixed")
    assert rc == 0, err
    assert "4 planes (ZYX), 1 cold and 3 warm-started" in out
    restored, meta = read_microscopy(tmp_path / "out" / "z_histdip.tif")
    assert restored.shape == (4, 48, 64) and restored.dtype == np.float32
    assert meta.kind == "imagej" and meta.axes == "ZYX"
    assert meta.pixel_size == pytest.approx({"X": 0.25, "Y": 0.25, "Z": 2.0})


def test_output_named_with_o_and_overwrite(tmp_path, capsys):
    src = imagej_z_stack(tmp_path / "z.tif", z=2)
    target = tmp_path / "mine.tif"
    rc, _, err = cli(capsys, "restore", src, "-o", target, "--method", "threshold", "--threshold", "100", "-q")
    assert rc == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.json", "mine.tif", "z.tif"]
    rc, _, err = cli(capsys, "restore", src, "-o", target, "--method", "threshold", "--threshold", "100", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "already exists")


@pytest.mark.parametrize("flag", [["--side-by-side"], ["--report"], ["--snapshots", "2"]])
def test_options_for_single_images_are_refused_for_a_stack(tmp_path, capsys, flag):
    src = imagej_z_stack(tmp_path / "z.tif", z=2)
    rc, _, err = cli(capsys, "restore", src, "--outdir", tmp_path / "out", *flag, *FAST)
    assert rc == 2
    assert_one_line_error(err, "restore", flag[0], "not available for a stack")
    assert files_under(tmp_path / "out") == []


def test_png_output_and_too_many_channels_are_one_line(tmp_path, capsys):
    src = imagej_z_stack(tmp_path / "z.tif", z=2)
    rc, _, err = cli(capsys, "restore", src, "-o", tmp_path / "z.png", *FAST)
    assert rc == 2
    assert_one_line_error(err, "restore", "written as TIFF")
    many = ome_time_lapse(tmp_path / "many.ome.tif", t=1, c=9)
    rc, _, err = cli(capsys, "restore", many, "--outdir", tmp_path / "out", *FAST)
    assert rc == 2
    assert_one_line_error(err, "restore", many, "9 channels", "at most 8")
    assert files_under(tmp_path / "out") == []


def test_single_images_take_the_two_d_path(tmp_path, capsys):
    # A 2-D ImageJ TIFF is no stack: restored as before, with its side-by-side picture.
    src = tmp_path / "one.tif"
    tifffile.imwrite(src, beads(), imagej=True)
    rc, _, err = cli(capsys, "restore", src, "--outdir", tmp_path / "out", "--side-by-side",
                     "--method", "threshold", "--threshold", "100", "-q")
    assert rc == 0, err
    assert "one_histdip_side_by_side.png" in files_under(tmp_path / "out")


@pytest.mark.data
def test_real_frames_as_an_imagej_time_lapse(tmp_path, capsys, shared_data):
    # Three real noisy confocal frames of one field (FMD), cut to 64 x 64, as an ImageJ T stack.
    frames = sorted((shared_data / "fmd-confocal-bpae-b-fov19").rglob("raw/**/*.png"))[:3]
    if len(frames) < 3:
        pytest.skip("fmd-confocal-bpae-b-fov19 holds fewer than 3 raw frames")
    stack = np.stack([iio.imread(f)[200:264, 200:264] for f in frames])
    src = tmp_path / "fmd.tif"
    tifffile.imwrite(src, stack, imagej=True, metadata={"axes": "TYX", "finterval": 0.5})
    rc, _, err = cli(capsys, "restore", src, "--outdir", tmp_path / "out", "--keep-dtype", *FAST)
    assert rc == 0, err
    restored, meta = read_microscopy(tmp_path / "out" / "fmd_histdip.tif")
    assert restored.shape == stack.shape and restored.dtype == np.uint8
    assert meta.axes == "TYX" and meta.frame_interval == pytest.approx(0.5)
    planes = json.loads((tmp_path / "out" / "fmd_histdip.json").read_text())["planes"]
    assert [p["warm_start"] and p["warm_start"]["source"] for p in planes] == [None, "plane t=0", "plane t=1"]


@pytest.mark.parametrize("kind", ["ome", "imagej"])
def test_a_single_plane_microscopy_tiff_keeps_its_pixel_size(tmp_path, capsys, kind):
    path = tmp_path / ("one.ome.tif" if kind == "ome" else "one.tif")
    if kind == "ome":
        tifffile.imwrite(path, beads(), ome=True, metadata={"axes": "YX", "PhysicalSizeX": 0.5,
                                                            "PhysicalSizeXUnit": "µm", "PhysicalSizeY": 0.5,
                                                            "PhysicalSizeYUnit": "µm"})
    else:
        tifffile.imwrite(path, beads(), imagej=True, resolution=(2.0, 2.0), metadata={"unit": "um", "axes": "YX"})
    rc, _, err = cli(capsys, "restore", path, "--outdir", tmp_path / "out", "--iterations", "3", "--stop", "fixed")
    assert rc == 0, err
    out = next((tmp_path / "out").glob("*_histdip.tif"))
    array, meta = read_microscopy(out)
    assert array.shape == (48, 64) and meta.kind == kind
    assert meta.pixel_size.get("X") == pytest.approx(0.5) and meta.pixel_size.get("Y") == pytest.approx(0.5)
    assert json.loads(out.with_suffix(".json").read_text())["run"]["iterations"] == 3
