"""The histdip command line: errors in one line, no partial outputs, faithful round trips."""

import json
import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from histdip.cli.main import main
from histdip.errors import HistdipError
from histdip.io import read_image

from test_io import BAD_INPUTS, make_truncated_png

RNG = np.random.default_rng(1)


def cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(err, command, *needles):
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith(f"histdip {command}: error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert str(needle) in lines[0], (needle, err)


def files_under(folder):
    folder = Path(folder)
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def beads(shape=(48, 64), dtype=np.uint8, rgb=False, seed=0):
    """A dim noisy background with a few bright square beads."""
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


def save_png(path, array):
    iio.imwrite(path, array)
    return path


# ------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_restore_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, case):
    make, expected = BAD_INPUTS[case]
    path = make(tmp_path)
    out = tmp_path / "out"
    rc, _, err = cli(capsys, "restore", path, "--outdir", out, "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", path, expected)
    assert files_under(out) == []


def test_restore_no_signal_is_one_line(tmp_path, capsys):
    dark = save_png(tmp_path / "dark.png", np.full((40, 40), 5, np.uint8))
    rc, _, err = cli(capsys, "restore", dark, "--threshold", "50", "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", dark, "no pixel lies above the threshold")
    assert files_under(tmp_path / "out") == []


def test_restore_threshold_out_of_range_is_config_error(tmp_path, capsys):
    img = save_png(tmp_path / "b.png", beads())
    rc, _, err = cli(capsys, "restore", img, "--threshold", "300", "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "threshold", "300", "outside 0-255")
    assert files_under(tmp_path / "out") == []


@pytest.mark.parametrize("spec", ["banana", "percentile:150"])
def test_restore_bad_threshold_rule(tmp_path, capsys, spec):
    img = save_png(tmp_path / "b.png", beads())
    rc, _, err = cli(capsys, "restore", img, "--threshold", spec, "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "threshold")


def test_restore_bad_channel(tmp_path, capsys):
    img = save_png(tmp_path / "c.png", beads(rgb=True))
    rc, _, err = cli(capsys, "restore", img, "--channel", "7", "--method", "threshold", "--outdir", tmp_path / "o", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", img, "channel")
    assert files_under(tmp_path / "o") == []


def test_real_entry_point_in_a_subprocess(tmp_path):
    exe = Path(sys.executable).with_name("histdip")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "histdip"]
    bad = make_truncated_png(tmp_path)
    proc = subprocess.run(
        command + ["restore", str(bad), "--outdir", str(tmp_path / "out"), "-q"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "restore", bad, "corrupt or truncated PNG")
    assert proc.stdout == ""
    assert files_under(tmp_path / "out") == []
    good = save_png(tmp_path / "good.png", beads())
    proc = subprocess.run(
        command + ["threshold", str(good), "--json", "--no-plot"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert 0 < json.loads(proc.stdout)["foreground_fraction"] < 0.2


# ------------------------------------------------------------------ round trips (threshold only: fast)
def test_uint8_png_round_trip(tmp_path, capsys):
    img = beads((37, 53))
    src = save_png(tmp_path / "in.png", img)
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--background", "none", "--threshold", "0", "-o", tmp_path / "o.png", "-q")
    assert rc == 0, err
    back = read_image(tmp_path / "o.png")
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, img)  # every pixel >= 1 > T = 0


def test_uint16_tiff_keep_dtype_round_trip(tmp_path, capsys):
    img = beads((37, 53), dtype=np.uint16)
    src = tmp_path / "in.tif"
    tifffile.imwrite(src, img)
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--background", "none", "--threshold", "0", "--keep-dtype",
                     "--outdir", tmp_path / "out", "-q")
    assert rc == 0, err
    back = tifffile.imread(tmp_path / "out" / "in_histdip.tif")
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, img)


def test_float32_tiff_round_trip(tmp_path, capsys):
    img = beads((37, 53), dtype=np.float32)
    src = tmp_path / "in.tif"
    tifffile.imwrite(src, img)
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--background", "none", "--threshold", "0",
                     "--outdir", tmp_path / "out", "-q")
    assert rc == 0, err
    back = tifffile.imread(tmp_path / "out" / "in_histdip.tif")
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, img, rtol=0, atol=1e-6)


def test_threshold_method_keeps_odd_size_and_zeroes_background(tmp_path, capsys):
    img = beads((37, 53))
    src = save_png(tmp_path / "odd.png", img)
    # The paper's prior (T on the raw grey, bare mask): --background none alone keeps
    # the fast preset's 1-px smoothing and mask growth.
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--threshold", "100", "--preset", "paper",
                     "--channel", "auto", "--outdir", tmp_path / "out", "-q")
    assert rc == 0, err
    back = tifffile.imread(tmp_path / "out" / "odd_histdip.tif")
    assert back.shape == (37, 53)
    np.testing.assert_allclose(back, np.where(img > 100, img, 0), atol=1e-4)
    record = json.loads((tmp_path / "out" / "odd_histdip.json").read_text())
    assert record["histdip_config"]["method"] == "threshold"
    assert record["run"]["threshold"] == 100
    assert record["input"] == str(src)
    assert "histdip_version" in record


def test_threshold_low_keeps_dim_parts_joined_to_bright_ones(tmp_path, capsys):
    img = np.full((40, 60), 10, np.uint8)
    img[10:13, 5:30] = 60       # a dim filament ...
    img[10:13, 5:8] = 200       # ... with a bright end
    img[25:30, 40:45] = 60      # a dim blob, joined to nothing bright
    src = save_png(tmp_path / "f.png", img)
    common = ["--method", "threshold", "--preset", "paper", "--channel", "auto", "--threshold", "100", "-q"]
    rc, _, err = cli(capsys, "restore", src, *common, "--threshold-low", "50", "--outdir", tmp_path / "two")
    assert rc == 0, err
    back = tifffile.imread(tmp_path / "two" / "f_histdip.tif")
    np.testing.assert_allclose(back[10:13, 5:30], img[10:13, 5:30], atol=1e-4)
    assert not back[25:30, 40:45].any() and not back[:8].any()
    record = json.loads((tmp_path / "two" / "f_histdip.json").read_text())
    assert record["histdip_config"]["threshold_low"] == 50 and record["run"]["threshold_low"] == 50
    rc, _, err = cli(capsys, "restore", src, *common, "--outdir", tmp_path / "one")
    assert rc == 0, err
    assert not tifffile.imread(tmp_path / "one" / "f_histdip.tif")[10:13, 8:30].any()
    counts = {}
    for name, flags in [("T", ["--value", "100"]), ("pair", ["--value", "100", "--low", "50"]),
                        ("low only", ["--value", "50"])]:
        rc, out, err = cli(capsys, "threshold", src, *flags, "--background", "none", "--no-plot", "--json")
        assert rc == 0, err
        report = json.loads(out)
        counts[name] = report["foreground_pixels"]
        assert report["threshold_low"] == (50 if name == "pair" else None)
    # The pair adds the filament to its bright end, not the blob that T = 50 alone takes in.
    assert counts["T"] < counts["pair"] < counts["low only"]
    rc, _, err = cli(capsys, "restore", src, *common, "--threshold-low", "bogus", "--outdir", tmp_path / "bad")
    assert rc == 2
    assert_one_line_error(err, "restore", "threshold_low")
    assert not (tmp_path / "bad").exists()


def test_default_sample_is_chosen_from_the_image_said_and_saved(tmp_path, capsys):
    rng = np.random.default_rng(1)
    dim = np.clip(30 + 8 * rng.standard_normal((64, 64)), 0, 255).astype(np.uint8)
    dim[20:30, 20:30] += 20  # a patch ~2.5 noise sigma above the floor
    src = save_png(tmp_path / "dim.png", dim)
    rc, out, err = cli(capsys, "restore", src, "--iterations", "3", "--outdir", tmp_path / "o")
    assert rc == 0, err
    assert "sample cells (auto)" in out
    saved = json.loads((tmp_path / "o" / "dim_histdip.json").read_text())
    assert saved["histdip_config"]["sample"] == "cells" and saved["histdip_config"]["threshold"] == 0
    assert saved["run"]["sample"] == "cells" and "noise sigma" in saved["run"]["sample_reason"]
    rc, out, err = cli(capsys, "restore", src, "--iterations", "3", "--threshold", "5", "--outdir", tmp_path / "t")
    assert rc == 0, err
    assert "(auto)" not in out
    assert json.loads((tmp_path / "t" / "dim_histdip.json").read_text())["histdip_config"]["sample"] is None


def test_threshold_sample_shows_the_settings_restore_would_use(tmp_path, capsys):
    rng = np.random.default_rng(1)
    dim = np.clip(30 + 8 * rng.standard_normal((64, 64)), 0, 255).astype(np.uint8)
    dim[20:30, 20:30] += 20
    src = save_png(tmp_path / "dim.png", dim)

    def report(*flags):
        rc, out, err = cli(capsys, "threshold", src, "--no-plot", "--json", *flags)
        assert rc == 0, err
        return json.loads(out)

    cells = report("--sample", "cells")
    assert (cells["threshold"], cells["background"], cells["method"]) == (0.0, "none", "manual")
    auto = report("--sample", "auto")
    assert auto["background"] == "none" and auto["sample_reason"].startswith("auto:") and "< 15" in auto["sample_reason"]
    by_hand = report("--sample", "auto", "--background", "rolling-ball")  # as restore: auto off
    assert by_hand["sample_reason"] == "" and by_hand["background"] == "rolling-ball"
    fil = report("--sample", "filaments")
    assert fil["threshold_low"] is not None and fil["background"] == "rolling-ball"
    assert report()["background"] == "rolling-ball" and report()["sample"] is None


def test_threshold_sample_auto_reads_the_noise_once(tmp_path, capsys, monkeypatch):
    import histdip.restoration
    import histdip.samples

    reads = []
    original = histdip.samples.grey_noise_sigma

    def counted(image):
        reads.append(1)
        return original(image)

    monkeypatch.setattr(histdip.samples, "grey_noise_sigma", counted)
    monkeypatch.setattr(histdip.restoration, "grey_noise_sigma", counted)
    src = save_png(tmp_path / "dim.png", np.clip(30 + 8 * RNG.standard_normal((64, 64)), 0, 255).astype(np.uint8))
    rc, out, err = cli(capsys, "threshold", src, "--no-plot", "--json", "--sample", "auto")
    assert rc == 0, err
    assert len(reads) == 1 and json.loads(out)["foreground_snr"] > 0


def test_sample_flag_saves_the_resolved_settings_and_explicit_flags_win(tmp_path, capsys):
    img = np.full((40, 60), 10, np.uint8)
    img[10:13, 5:30] = 60
    img[10:13, 5:8] = 200
    src = save_png(tmp_path / "f.png", img)
    common = ["--method", "threshold", "-q"]
    rc, _, err = cli(capsys, "restore", src, *common, "--sample", "filaments", "--stop-level", "0.8",
                     "--outdir", tmp_path / "fil")
    assert rc == 0, err
    config = json.loads((tmp_path / "fil" / "f_histdip.json").read_text())["histdip_config"]
    assert config["threshold_low"] == "li" and config["stopping"]["level"] == 0.8
    assert config["stopping"]["rule"] == "noise-level"
    rc, _, err = cli(capsys, "restore", src, *common, "--sample", "cells", "--outdir", tmp_path / "cells")
    assert rc == 0, err
    config = json.loads((tmp_path / "cells" / "f_histdip.json").read_text())["histdip_config"]
    assert (config["threshold"], config["background"]) == (0, "none")
    rc, _, err = cli(capsys, "restore", src, *common, "--sample", "cells", "--preset", "paper",
                     "--outdir", tmp_path / "bad")
    assert rc == 2
    assert_one_line_error(err, "restore", "fast preset")
    assert not (tmp_path / "bad").exists()
    for bad in (["--sample", "tissue"], ["--stop-level", "0"], ["--stop-level", "inf"]):
        with pytest.raises(SystemExit) as stop:  # argparse: usage and a one-line error
            cli(capsys, "restore", src, *common, *bad, "--outdir", tmp_path / "bad")
        err = capsys.readouterr().err
        assert stop.value.code == 2 and "error: argument" in err and "Traceback" not in err, (bad, err)
    assert not (tmp_path / "bad").exists()


def test_rgb_channel_gives_colour_output(tmp_path, capsys):
    src = save_png(tmp_path / "c.png", beads((37, 53), rgb=True))
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--channel", "rgb",
                     "--outdir", tmp_path / "out", "-q")
    assert rc == 0, err
    assert tifffile.imread(tmp_path / "out" / "c_histdip.tif").shape == (37, 53, 3)


def test_default_outdir_and_summary_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_png(tmp_path / "b.png", beads())
    rc, out, err = cli(capsys, "restore", "b.png", "--method", "threshold")
    assert rc == 0, err
    assert files_under(tmp_path / "histdip-output") == ["b_histdip.json", "b_histdip.tif"]
    assert "histdip-output/b_histdip.tif" in out


# ------------------------------------------------------------------ overwriting
def test_refuses_to_overwrite_then_overwrites(tmp_path, capsys):
    src = save_png(tmp_path / "b.png", beads())
    args = ["restore", src, "--method", "threshold", "--outdir", tmp_path / "out", "-q"]
    assert cli(capsys, *args)[0] == 0
    target = tmp_path / "out" / "b_histdip.tif"
    before = target.stat().st_mtime_ns, target.read_bytes()
    rc, _, err = cli(capsys, *args, "--threshold", "100")
    assert rc == 2
    assert_one_line_error(err, "restore", target, "already exists", "--overwrite")
    assert (target.stat().st_mtime_ns, target.read_bytes()) == before
    rc, _, err = cli(capsys, *args, "--threshold", "100", "--overwrite")
    assert rc == 0, err
    assert target.read_bytes() != before[1]
    assert files_under(tmp_path / "out") == ["b_histdip.json", "b_histdip.tif"]


def test_sidecar_conflict_refused_before_anything_is_written(tmp_path, capsys):
    src = save_png(tmp_path / "b.png", beads())
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "b_histdip.json").write_text("{}")
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "b_histdip.json", "already exists")
    assert files_under(tmp_path / "out") == ["b_histdip.json"]


@pytest.mark.parametrize("name", ["in.tif", "in.png"])
def test_never_writes_the_input_even_with_overwrite(tmp_path, capsys, name):
    src = tmp_path / name
    if name.endswith(".png"):
        save_png(src, beads())
    else:
        tifffile.imwrite(src, beads())
    before = src.read_bytes()
    rc, _, err = cli(capsys, "restore", src, "-o", src, "--overwrite", "--method", "threshold", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "overwrite the input")
    assert src.read_bytes() == before


def test_failure_while_writing_leaves_no_output(tmp_path, capsys, monkeypatch):
    import histdip.cli.restore as restore_cli

    def broken(*args, **kwargs):
        raise HistdipError("plotting failed")

    monkeypatch.setattr(restore_cli, "side_by_side", broken)
    src = save_png(tmp_path / "b.png", beads())
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--side-by-side",
                     "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "plotting failed")
    assert files_under(tmp_path / "out") == []


def test_disk_full_is_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    def full(path, *args, **kwargs):
        Path(path).write_bytes(b"II*\x00 half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tifffile, "imwrite", full)
    src = save_png(tmp_path / "b.png", beads())
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "b_histdip.tif", "No space left on device")
    assert files_under(tmp_path / "out") == []


def test_interrupt_leaves_no_output(tmp_path, capsys, monkeypatch):
    import histdip.cli.restore as restore_cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(restore_cli, "side_by_side", interrupted)
    src = save_png(tmp_path / "b.png", beads())
    rc, _, _ = cli(capsys, "restore", src, "--method", "threshold", "--side-by-side", "--outdir", tmp_path / "out", "-q")
    assert rc == 130
    assert files_under(tmp_path / "out") == []


# ------------------------------------------------------------------ several inputs
def test_one_bad_input_among_several(tmp_path, capsys):
    good1 = save_png(tmp_path / "a.png", beads())
    bad = make_truncated_png(tmp_path)
    good2 = save_png(tmp_path / "c.png", beads(seed=2))
    rc, _, err = cli(capsys, "restore", good1, bad, good2, "--method", "threshold", "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    lines = err.strip().split("\n")
    assert len(lines) == 2 and "Traceback" not in err
    assert str(bad) in lines[0] and "corrupt or truncated PNG" in lines[0]
    assert "1 of 3 inputs failed" in lines[1]
    assert files_under(tmp_path / "out") == ["a_histdip.json", "a_histdip.tif", "c_histdip.json", "c_histdip.tif"]


def test_output_file_with_several_inputs_refused(tmp_path, capsys):
    a = save_png(tmp_path / "a.png", beads())
    b = save_png(tmp_path / "b.png", beads())
    rc, _, err = cli(capsys, "restore", a, b, "-o", tmp_path / "x.tif", "--method", "threshold", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "--outdir")


def test_two_inputs_with_one_output_name_refused(tmp_path, capsys):
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    a = save_png(tmp_path / "d1" / "x.png", beads())
    b = save_png(tmp_path / "d2" / "x.png", beads())
    rc, _, err = cli(capsys, "restore", a, b, "--outdir", tmp_path / "out", "--method", "threshold", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "x_histdip.tif")
    assert files_under(tmp_path / "out") == []


@pytest.mark.parametrize("name", ["x.jpg", "x.json", "x"])
def test_output_extension_checked(tmp_path, capsys, name):
    src = save_png(tmp_path / "b.png", beads())
    rc, _, err = cli(capsys, "restore", src, "-o", tmp_path / name, "--method", "threshold", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", ".tif")


# ------------------------------------------------------------------ config files
def test_config_file_with_explicit_override(tmp_path, capsys):
    src = save_png(tmp_path / "b.png", beads())
    assert cli(capsys, "restore", src, "--method", "threshold", "--threshold", "100", "--outdir", tmp_path / "a", "-q")[0] == 0
    saved = tmp_path / "a" / "b_histdip.json"
    rc, _, err = cli(capsys, "restore", src, "--config", saved, "--threshold", "otsu", "--outdir", tmp_path / "b", "-q")
    assert rc == 0, err
    record = json.loads((tmp_path / "b" / "b_histdip.json").read_text())
    assert record["histdip_config"]["method"] == "threshold"  # from the file
    assert record["histdip_config"]["threshold"] == "otsu"  # explicit flag wins


def test_config_and_preset_together_refused(tmp_path, capsys):
    src = save_png(tmp_path / "b.png", beads())
    cfg = tmp_path / "c.yaml"
    cfg.write_text("method: threshold\n")
    rc, _, err = cli(capsys, "restore", src, "--config", cfg, "--preset", "paper", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "--preset", "--config")


@pytest.mark.parametrize("content, needle", [(None, "no such config file"), ("[1, 2", "not valid"),
                                             ("method: magic\n", "method")])
def test_bad_config_file(tmp_path, capsys, content, needle):
    src = save_png(tmp_path / "b.png", beads())
    cfg = tmp_path / "c.yaml"
    if content is not None:
        cfg.write_text(content)
    rc, _, err = cli(capsys, "restore", src, "--config", cfg, "--outdir", tmp_path / "o", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", needle)
    assert files_under(tmp_path / "o") == []


# ------------------------------------------------------------------ hist-dip (real fitting, tiny)
def test_hist_dip_run_snapshots_and_config_round_trip(tmp_path, capsys):
    src = save_png(tmp_path / "small.png", beads((48, 64)))
    first = tmp_path / "first"
    rc, out, err = cli(capsys, "restore", src, "--iterations", "3", "--seed", "7", "--snapshots", "1",
                       "--side-by-side", "--outdir", first, "-q")
    assert rc == 0, err
    assert out == "" and err == ""
    names = files_under(first)
    assert names == [
        "small_histdip.json",
        "small_histdip.tif",
        "small_histdip_side_by_side.png",
        "small_histdip_snapshots",
        "small_histdip_snapshots/small_histdip_iter00001.tif",
        "small_histdip_snapshots/small_histdip_iter00002.tif",
        "small_histdip_snapshots/small_histdip_iter00003.tif",
    ]
    result = tifffile.imread(first / "small_histdip.tif")
    assert result.shape == (48, 64) and result.dtype == np.float32
    assert np.isfinite(result).all()
    assert tifffile.imread(first / "small_histdip_snapshots" / "small_histdip_iter00002.tif").shape == (48, 64)
    assert read_image(first / "small_histdip_side_by_side.png").ndim == 3
    record = json.loads((first / "small_histdip.json").read_text())
    assert record["histdip_config"]["seed"] == 7 and record["histdip_config"]["iterations"] == 3
    assert record["run"]["iterations"] == 3

    second = tmp_path / "second"
    rc, _, err = cli(capsys, "restore", src, "--config", first / "small_histdip.json", "--outdir", second, "-q")
    assert rc == 0, err
    again = tifffile.imread(second / "small_histdip.tif")
    assert again.tobytes() == result.tobytes()  # bit for bit


def test_fit_then_apply(tmp_path, capsys):
    train = save_png(tmp_path / "train.png", beads((48, 64)))
    other = save_png(tmp_path / "other.png", beads((37, 53), seed=3))
    model = tmp_path / "models" / "m.pt"
    rc, _, err = cli(capsys, "fit", train, "-o", model, "--iterations", "2", "-q")
    assert rc == 0, err
    assert sorted(p.name for p in model.parent.iterdir()) == ["m.json", "m.pt"]
    rc, _, err = cli(capsys, "fit", train, "-o", model, "--iterations", "2", "-q")
    assert rc == 2
    assert_one_line_error(err, "fit", "already exists")
    rc, _, err = cli(capsys, "apply", model, train, other, "--outdir", tmp_path / "out", "--side-by-side", "-q")
    assert rc == 0, err
    assert tifffile.imread(tmp_path / "out" / "train_applied.tif").shape == (48, 64)
    assert tifffile.imread(tmp_path / "out" / "other_applied.tif").shape == (37, 53)
    assert (tmp_path / "out" / "other_applied_side_by_side.png").exists()


def test_fit_refuses_threshold_method_and_bad_model_file(tmp_path, capsys):
    train = save_png(tmp_path / "train.png", beads())
    rc, _, err = cli(capsys, "fit", train, "-o", tmp_path / "m.txt", "-q")
    assert rc == 2
    assert_one_line_error(err, "fit", ".pt")
    not_a_model = tmp_path / "fake.pt"
    not_a_model.write_text("hello")
    rc, _, err = cli(capsys, "apply", not_a_model, train, "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "apply", not_a_model, "not a histdip model")
    assert files_under(tmp_path / "out") == []


# ------------------------------------------------------------------ threshold command
def test_threshold_prints_plots_and_refuses_overwrite(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = save_png(tmp_path / "b.png", beads())
    rc, out, err = cli(capsys, "threshold", "b.png", "--value", "100")
    assert rc == 0, err
    assert "T = 100" in out and "%" in out
    plot = tmp_path / "b_histogram.png"
    assert read_image(plot).shape[:2] == (400, 700)
    before = plot.read_bytes()
    rc, _, err = cli(capsys, "threshold", "b.png", "--method", "otsu")
    assert rc == 2
    assert_one_line_error(err, "threshold", "b_histogram.png", "already exists")
    assert plot.read_bytes() == before
    rc, out, err = cli(capsys, "threshold", src, "--method", "percentile", "--percentile", "90", "--json",
                       "--overwrite")
    assert rc == 0, err
    report = json.loads(out)
    assert report["method"] == "percentile"
    assert 0.05 <= report["foreground_fraction"] <= 0.11  # ties at T on the background-subtracted grey
    assert report["foreground_pixels"] == round(report["foreground_fraction"] * report["pixels"])


@pytest.mark.parametrize("kind", ["float outside [0, 1]", "rgb uint8"])
def test_threshold_matches_what_restore_uses(tmp_path, capsys, kind):
    src = tmp_path / "f.tif"
    if kind == "rgb uint8":  # restore fits the green channel (auto) but thresholds luma
        tifffile.imwrite(src, beads(rgb=True))
    else:
        tifffile.imwrite(src, beads(dtype=np.float32) * 3.0)
    rc, out, err = cli(capsys, "threshold", src, "--json", "--no-plot")
    assert rc == 0, err
    report = json.loads(out)
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--outdir", tmp_path / "o", "-q")
    assert rc == 0, err
    assert json.loads((tmp_path / "o" / "f_histdip.json").read_text())["run"]["threshold"] == pytest.approx(report["threshold"])
    # and the sample restore's default chooses from that grey and T
    rc, _, err = cli(capsys, "restore", src, "--iterations", "1", "--outdir", tmp_path / "d", "-q")
    assert rc == 0, err
    run = json.loads((tmp_path / "d" / "f_histdip.json").read_text())["run"]
    assert run["sample"] == report["auto_sample"] and f"{report['foreground_snr']:.1f}" in run["sample_reason"]


@pytest.mark.parametrize(
    "flags, needle",
    [
        (["--value", "300"], "outside 0-255"),
        (["--method", "manual"], "--value"),
        (["--method", "percentile"], "--percentile"),
        (["--method", "otsu", "--value", "3"], "--value"),
        (["--percentile", "120"], "0-100"),
    ],
)
def test_threshold_bad_flags(tmp_path, capsys, monkeypatch, flags, needle):
    monkeypatch.chdir(tmp_path)
    save_png(tmp_path / "b.png", beads())
    rc, _, err = cli(capsys, "threshold", "b.png", *flags)
    assert rc == 2
    assert_one_line_error(err, "threshold", needle)
    assert not (tmp_path / "b_histogram.png").exists()


def test_threshold_bad_input(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.png").write_text("not an image")
    rc, _, err = cli(capsys, "threshold", "t.png")
    assert rc == 2
    assert_one_line_error(err, "threshold", "t.png", "text file")
    assert files_under(tmp_path) == ["t.png"]


# ------------------------------------------------------------------ plotting
def test_plots_are_pngs_and_refuse_overwrite(tmp_path):
    from histdip.plotting import display_stretch, histogram_plot, side_by_side

    g = beads().astype(float)
    histogram_plot(g, 100, tmp_path / "h.png", "title")
    side_by_side(beads(rgb=True), g, tmp_path / "s.png", ("a", "b"))
    assert read_image(tmp_path / "h.png").ndim == 3
    assert read_image(tmp_path / "s.png").ndim == 3
    with pytest.raises(HistdipError, match="already exists"):
        histogram_plot(g, 100, tmp_path / "h.png")
    assert display_stretch(np.full((8, 8), 3.0)).max() == 0
    stretched = display_stretch(g)
    assert stretched.min() == 0 and stretched.max() == 1
    assert sorted(os.listdir(tmp_path)) == ["h.png", "s.png"]


def test_stop_and_noise_model_flags_reach_the_saved_config(tmp_path, capsys):
    src = save_png(tmp_path / "small.png", beads((48, 64)))
    rc, _, err = cli(capsys, "restore", src, "--iterations", "2", "--stop", "fixed", "--noise-model",
                     "poisson-gaussian", "--outdir", tmp_path / "o", "-q")
    assert rc == 0, err
    record = json.loads((tmp_path / "o" / "small_histdip.json").read_text())
    cfg = record["histdip_config"]
    assert cfg["stopping"]["rule"] == "fixed" and cfg["noise_model"] == "poisson-gaussian"
    assert cfg["stopping"]["check_every"] == 10  # the rest of the preset's stopping settings kept
    assert record["run"]["stop_reason"].startswith("fixed")


@pytest.mark.parametrize("factor, kind", [(1, "identity"), (2, "downsample")])
def test_downsample_flag_sets_the_forward_model(tmp_path, capsys, factor, kind):
    src = save_png(tmp_path / "small.png", beads((48, 64)))
    rc, _, err = cli(capsys, "restore", src, "--iterations", "2", "--downsample", str(factor),
                     "--outdir", tmp_path / "o", "-q")
    assert rc == 0, err
    cfg = json.loads((tmp_path / "o" / "small_histdip.json").read_text())["histdip_config"]
    assert cfg["physics"]["kind"] == kind and cfg["physics"]["factor"] == factor
    assert cfg["physics"]["kernel"] == "lanczos2"  # the preset's kernel kept
