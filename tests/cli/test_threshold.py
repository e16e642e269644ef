"""`histdip threshold`: restore's own prior, shown without fitting, with the flags that give it by hand."""

import json

import numpy as np
import pytest
import tifffile

from histdip.io import read_image
from tests.helpers import assert_one_line_error, beads, cli, filament_and_blob, files_under, save_png


def report(capsys, src, *flags):
    rc, out, err = cli(capsys, "threshold", src, "--no-plot", "--json", *flags)
    assert rc == 0, err
    return json.loads(out)


def _dim(tmp_path):
    rng = np.random.default_rng(1)
    dim = np.clip(30 + 8 * rng.standard_normal((64, 64)), 0, 255).astype(np.uint8)
    dim[20:30, 20:30] += 20  # a patch ~2.5 noise sigma above the floor
    return save_png(tmp_path / "dim.png", dim)


def test_prints_plots_and_refuses_to_overwrite(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = save_png(tmp_path / "b.png", beads())
    rc, out, err = cli(capsys, "threshold", "b.png", "--threshold", "100")
    assert rc == 0, err
    assert "T = 100 on the BT.601 grey on 0-255" in out and "%" in out
    plot = tmp_path / "b_histogram.png"
    assert read_image(plot).shape[:2] == (400, 700)
    before = plot.read_bytes()
    rc, _, err = cli(capsys, "threshold", "b.png", "--threshold", "otsu")
    assert rc == 2
    assert_one_line_error(err, "threshold", "b_histogram.png", "already exists")
    assert plot.read_bytes() == before
    got = report(capsys, src, "--threshold", "percentile:90", "--preset", "paper")  # the bare mask
    assert got["threshold_rule"] == "percentile:90" and 0.05 <= got["foreground_fraction"] <= 0.11
    assert got["foreground_pixels"] == round(got["foreground_fraction"] * got["pixels"])


@pytest.mark.parametrize("kind", ["float outside [0, 1]", "rgb uint8", "dim grey"])
def test_what_it_shows_is_what_restore_uses(tmp_path, capsys, kind):
    src = tmp_path / "f.tif"
    if kind == "rgb uint8":  # restore fits the green channel (auto) but thresholds the luma
        tifffile.imwrite(src, beads(rgb=True))
    elif kind == "dim grey":
        src = _dim(tmp_path)
    else:
        tifffile.imwrite(src, beads(dtype=np.float32) * 3.0)
    shown = report(capsys, src)
    rc, _, err = cli(capsys, "restore", src, "--iterations", "1", "-o", tmp_path / "d.tif", "-q")
    assert rc == 0, err
    run = json.loads((tmp_path / "d.json").read_text())["run"]
    for key in ("threshold", "threshold_low", "threshold_on", "background_radius", "sample", "sample_reason",
                "foreground_fraction", "primary", "primary_reason", "background_pedestal_sigma"):
        assert run[key] == pytest.approx(shown[key]) if isinstance(run[key], float) else run[key] == shown[key], key


def test_the_flags_it_prints_give_restore_the_same_t_and_mask(tmp_path, capsys):
    src = save_png(tmp_path / "b.png", beads((64, 80), rgb=True))
    shown = report(capsys, src, "--sample", "beads")  # the default's prior: T on the subtracted grey
    assert shown["background"] == "rolling-ball" and shown["by_hand"].startswith("--threshold ")
    rc, _, err = cli(capsys, "restore", src, *shown["by_hand"].split(), "--method", "threshold",
                     "-o", tmp_path / "h.tif", "-q")
    assert rc == 0, err
    run = json.loads((tmp_path / "h.json").read_text())["run"]
    assert run["threshold"] == shown["threshold"]
    assert run["foreground_fraction"] == shown["foreground_fraction"] and run["threshold_on"] == shown["threshold_on"]


def test_it_takes_restores_sample_and_prior_flags(tmp_path, capsys):
    src = _dim(tmp_path)
    cells = report(capsys, src, "--sample", "cells")
    assert (cells["threshold"], cells["background"], cells["sample"]) == (0.0, "none", "cells")
    auto = report(capsys, src, "--sample", "auto")  # the Yen prior's own choice
    assert auto["sample"] == "cells" and auto["sample_reason"].startswith("auto:") and "< 15" in auto["sample_reason"]
    learned = report(capsys, src)  # the default: the learned split decides the primary layer
    assert learned["primary"] in ("signal", "recording") and "noise sigma" in learned["primary_reason"]
    by_hand = report(capsys, src, "--background", "rolling-ball", "--threshold", "yen")  # as restore: auto off
    assert by_hand["sample_reason"] == "" and by_hand["background"] == "rolling-ball"
    fil = report(capsys, src, "--sample", "filaments")
    assert fil["threshold_low"] is not None and fil["background"] == "rolling-ball"
    paper = report(capsys, src, "--preset", "paper", "--threshold", "yen")
    assert paper["threshold_on"] == "BT.601 grey on 0-255"


def test_the_hysteresis_pair_adds_what_joins_the_bright_parts(tmp_path, capsys):
    img = filament_and_blob()
    src = save_png(tmp_path / "f.png", img)
    one = report(capsys, src, "--threshold", "100")["foreground_pixels"]
    pair = report(capsys, src, "--threshold", "100", "--threshold-low", "50")
    low = report(capsys, src, "--threshold", "50")["foreground_pixels"]
    assert pair["threshold_low"] == 50 and one < pair["foreground_pixels"] < low


def test_the_noise_is_read_once(tmp_path, capsys, monkeypatch):
    import histdip.pipeline

    reads = []
    real = histdip.pipeline.estimate_noise
    monkeypatch.setattr(histdip.pipeline, "estimate_noise", lambda plane: reads.append(1) or real(plane))
    assert report(capsys, _dim(tmp_path), "--sample", "auto")["sample_statistic"] > 0
    assert reads == [1]
    assert report(capsys, _dim(tmp_path))["background_pedestal_sigma"] is not None  # the learned split
    assert reads == [1, 1]


@pytest.mark.parametrize("flags, needle", [
    (["--threshold", "300"], "outside 0-255"),
    (["--threshold", "banana"], "threshold"),
    (["--threshold", "percentile:120"], "0-100"),
    (["--config", "none.json"], "no such config file"),
    (["--plot", "h.jpg"], ".png"),
])
def test_bad_flags_are_one_line_and_write_nothing(tmp_path, capsys, monkeypatch, flags, needle):
    monkeypatch.chdir(tmp_path)
    save_png(tmp_path / "b.png", beads())
    rc, _, err = cli(capsys, "threshold", "b.png", *flags)
    assert rc == 2
    assert_one_line_error(err, "threshold", needle)
    assert files_under(tmp_path) == ["b.png"]


def test_bad_input_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.png").write_text("not an image")
    rc, _, err = cli(capsys, "threshold", "t.png")
    assert rc == 2
    assert_one_line_error(err, "threshold", "t.png", "text file")
    assert files_under(tmp_path) == ["t.png"]
