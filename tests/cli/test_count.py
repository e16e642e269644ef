"""`histdip count`: a photo restored then counted, histdip outputs counted as they are,
the files it writes, and its one-line refusals."""

import csv
import json

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from histdip.count import COLUMNS
from tests.helpers import assert_one_line_error, cli, files_under, save_png


#: The fits' length: enough for the signal layer to hold the beads (~1 s here).
ITERATIONS = "40"


def bead_photo(shape=(64, 80), seed=0):
    """A dim noisy grey photo with four round beads, one of them saturated."""
    rng = np.random.default_rng(seed)
    yy, xx = np.indices(shape)
    img = np.full(shape, 30.0)
    for y, x, peak in ((16, 18, 120), (20, 58, 140), (46, 30, 130), (44, 62, 400)):
        img += peak * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * 3.0**2))
    return np.clip(img + rng.normal(0, 4, shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def restored(tmp_path_factory):
    """A tiny photo restored with a short fit: the folder holds photo.png and
    out/photo_histdip.{tif,json} with its layers."""
    from histdip.cli.main import main

    folder = tmp_path_factory.mktemp("fixture")
    save_png(folder / "photo.png", bead_photo())
    rc = main(["restore", str(folder / "photo.png"), "--iterations", ITERATIONS, "--outdir", str(folder / "out"), "-q"])
    assert rc == 0
    return folder


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_photo_is_restored_then_counted(tmp_path, capsys):
    photo = save_png(tmp_path / "p.png", bead_photo())
    rc, out, err = cli(capsys, "count", photo, "-o", tmp_path / "c.csv", "--iterations", ITERATIONS, "-q")
    assert rc == 0, err
    assert files_under(tmp_path) == ["c.csv", "c_overlay.png", "c_summary.json", "p.png"]
    rows = read_csv(tmp_path / "c.csv")
    assert list(rows[0]) == list(COLUMNS)
    assert 3 <= len(rows) <= 5  # four beads
    summary = json.loads((tmp_path / "c_summary.json").read_text())
    assert summary["count"] == len(rows) and summary["clipped"] == 1
    assert summary["density_per_mm2"] is None and summary["pixel_size_um"] is None
    assert "restored" in summary["notes"][0] and "signal layer" in summary["notes"][0]
    assert iio.imread(tmp_path / "c_overlay.png").shape == (64, 80, 3)


def test_the_human_summary_and_the_pixel_size_flag(tmp_path, capsys):
    photo = save_png(tmp_path / "p.png", bead_photo())
    rc, out, err = cli(capsys, "count", photo, "-o", tmp_path / "c.csv", "--iterations", ITERATIONS,
                       "--pixel-size", "0.5")
    assert rc == 0, err
    summary = json.loads((tmp_path / "c_summary.json").read_text())
    n = summary["count"]
    assert f"{n} objects (1 clipped" in out
    area = (64 * 0.5e-3) * (80 * 0.5e-3)
    assert summary["density_per_mm2"] == pytest.approx(n / area)
    assert f"density {n / area:.4g} per mm²" in out
    rc, out, _ = cli(capsys, "count", photo, "-o", tmp_path / "d.csv", "--iterations", ITERATIONS)
    assert "density: unknown (no pixel size" in out


def test_a_run_record_is_counted_as_it_is_with_the_same_numbers_as_the_photo(restored, tmp_path, capsys):
    record = restored / "out" / "photo_histdip.json"
    rc, out, err = cli(capsys, "count", record, "-o", tmp_path / "from_record.csv")
    assert rc == 0, err
    assert "photo_histdip_signal.tif (signal layer) as it is" in out
    rc, _, err = cli(capsys, "count", restored / "photo.png", "-o", tmp_path / "from_photo.csv",
                     "--iterations", ITERATIONS, "-q")
    assert rc == 0, err
    a, b = read_csv(tmp_path / "from_record.csv"), read_csv(tmp_path / "from_photo.csv")
    assert a == b and 3 <= len(a) <= 5
    sa = json.loads((tmp_path / "from_record_summary.json").read_text())
    sb = json.loads((tmp_path / "from_photo_summary.json").read_text())
    assert sa["noise_sigma"] == pytest.approx(sb["noise_sigma"], rel=1e-5)
    assert sa["clipped"] == 1  # the flags come from the photo the record names


@pytest.mark.parametrize("name, layer", [("photo_histdip_signal.tif", "signal layer"),
                                         ("photo_histdip.tif", "the output")])
def test_a_histdip_image_is_counted_without_restoring(restored, tmp_path, capsys, name, layer):
    rc, out, err = cli(capsys, "count", restored / "out" / name, "-o", tmp_path / "c.csv")
    assert rc == 0, err
    assert f"{name} ({layer}) as it is" in out
    assert "restored" not in out
    assert json.loads((tmp_path / "c_summary.json").read_text())["settings"]["noise_source"] == "given"


def test_a_lone_signal_tiff_reads_its_noise_and_pixel_size_off_itself(restored, tmp_path, capsys):
    signal = tifffile.imread(restored / "out" / "photo_histdip_signal.tif")
    lone = tmp_path / "lone_histdip_signal.tif"
    tifffile.imwrite(lone, signal, imagej=True, resolution=(1 / 0.25, 1 / 0.25), metadata={"unit": "um"})
    rc, out, err = cli(capsys, "count", lone, "-o", tmp_path / "c.csv")
    assert rc == 0, err
    summary = json.loads((tmp_path / "c_summary.json").read_text())
    assert summary["pixel_size_um"] == pytest.approx(0.25)
    assert summary["settings"]["noise_source"] == "estimated from the signal"
    assert "no run record beside it" in out


def test_missing_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    rc, _, err = cli(capsys, "count", tmp_path / "nope.png", "-o", tmp_path / "c.csv", "-q")
    assert rc == 2
    assert_one_line_error(err, "count", "nope.png", "no such file")
    assert files_under(tmp_path) == []


def test_refuses_to_overwrite_without_overwrite(restored, tmp_path, capsys):
    record = restored / "out" / "photo_histdip.json"
    (tmp_path / "c_overlay.png").write_bytes(b"old")
    rc, _, err = cli(capsys, "count", record, "-o", tmp_path / "c.csv", "-q")
    assert rc == 2
    assert_one_line_error(err, "count", "c_overlay.png", "already exists", "--overwrite")
    assert files_under(tmp_path) == ["c_overlay.png"]  # refused before anything was written
    rc, _, err = cli(capsys, "count", record, "-o", tmp_path / "c.csv", "-q", "--overwrite")
    assert rc == 0, err
    assert (tmp_path / "c_overlay.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args, needles", [
    (["--iterations", "3"], ["histdip output", "--iterations"]),
    (["-o", "counts.txt"], ["counts.txt", ".csv"]),
    (["--overlay", "o.jpg"], ["o.jpg", ".png"]),
])
def test_flags_that_do_not_fit_are_one_line_errors(restored, tmp_path, capsys, monkeypatch, args, needles):
    monkeypatch.chdir(tmp_path)
    rc, _, err = cli(capsys, "count", restored / "out" / "photo_histdip.json", *args, "-q")
    assert rc == 2
    assert_one_line_error(err, "count", *needles)


def test_a_background_layer_or_a_foreign_json_is_refused(restored, tmp_path, capsys):
    rc, _, err = cli(capsys, "count", restored / "out" / "photo_histdip_background.tif", "-o", tmp_path / "c.csv")
    assert rc == 2
    assert_one_line_error(err, "count", "background layer")
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}')
    rc, _, err = cli(capsys, "count", other, "-o", tmp_path / "c.csv")
    assert rc == 2
    assert_one_line_error(err, "count", "other.json", "not a histdip run record")


def test_default_output_names(restored, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, _, err = cli(capsys, "count", restored / "out" / "photo_histdip.json", "-q")
    assert rc == 0, err
    assert files_under(tmp_path) == ["histdip-output", "histdip-output/photo_histdip_counts.csv",
                                     "histdip-output/photo_histdip_counts_overlay.png",
                                     "histdip-output/photo_histdip_counts_summary.json"]
