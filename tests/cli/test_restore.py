"""`histdip restore`: its settings flags, the automatic sample choice, config files and a real (tiny) fit.

Outputs, overwriting and bad input files: tests/cli/test_outputs.py.
"""

import json

import numpy as np
import pytest
import tifffile

from histdip.io import read_image
from tests.helpers import assert_one_line_error, beads, cli, filament_and_blob, files_under, save_png


def test_restore_no_signal_is_one_line(tmp_path, capsys):
    dark = save_png(tmp_path / "dark.png", np.full((40, 40), 5, np.uint8))
    rc, _, err = cli(capsys, "restore", dark, "--threshold", "50", "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", dark, "no pixel lies above T = 50 on the BT.601 grey")
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


def test_threshold_method_keeps_odd_size_and_zeroes_background(tmp_path, capsys):
    img = beads((37, 53))
    src = save_png(tmp_path / "odd.png", img)
    # A number given as T is the paper's mask, grey > T on the raw grey, in every preset.
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--threshold", "100",
                     "--outdir", tmp_path / "out", "-q")
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
    img = filament_and_blob()
    src = save_png(tmp_path / "f.png", img)
    common = ["--method", "threshold", "--threshold", "100", "-q"]
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
    for name, flags in [("T", ["--threshold", "100"]), ("pair", ["--threshold", "100", "--threshold-low", "50"]),
                        ("low only", ["--threshold", "50"])]:
        rc, out, err = cli(capsys, "threshold", src, *flags, "--no-plot", "--json")
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
    rc, out, err = cli(capsys, "restore", src, "--iterations", "3", "--outdir", tmp_path / "d")
    assert rc == 0, err
    # the default: a flat, dark field has no background to remove, so the recording is the output
    assert "primary recording (auto)" in out
    saved = json.loads((tmp_path / "d" / "dim_histdip.json").read_text())
    assert saved["histdip_config"]["primary"] == "recording" and saved["histdip_config"]["threshold"] == "learned"
    assert "noise sigma" in saved["run"]["primary_reason"]
    # the Yen prior's own automatic choice, by name
    rc, out, err = cli(capsys, "restore", src, "--iterations", "3", "--sample", "auto", "--outdir", tmp_path / "o")
    assert rc == 0, err
    assert "sample cells (auto)" in out
    saved = json.loads((tmp_path / "o" / "dim_histdip.json").read_text())
    assert saved["histdip_config"]["sample"] == "cells" and saved["histdip_config"]["threshold"] == 0
    assert saved["run"]["sample"] == "cells" and "noise sigma" in saved["run"]["sample_reason"]
    rc, out, err = cli(capsys, "restore", src, "--iterations", "3", "--threshold", "5", "--outdir", tmp_path / "t")
    assert rc == 0, err
    assert "(auto)" not in out
    assert json.loads((tmp_path / "t" / "dim_histdip.json").read_text())["histdip_config"]["sample"] is None


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
        "small_histdip_background.tif",
        "small_histdip_recording.tif",
        "small_histdip_side_by_side.png",
        "small_histdip_signal.tif",
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
    for layer in ("signal", "recording", "background"):
        a, b = (tifffile.imread(d / f"small_histdip_{layer}.tif") for d in (first, second))
        assert a.tobytes() == b.tobytes(), layer


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


def test_a_hand_threshold_is_the_papers_and_a_rule_keeps_the_defaults_grey(tmp_path, capsys):
    src = save_png(tmp_path / "b.png", beads())
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--threshold", "100", "-o", tmp_path / "t.tif")
    assert rc == 0, err
    run = json.loads((tmp_path / "t.json").read_text())
    assert run["run"]["threshold_on"] == "BT.601 grey on 0-255" and run["histdip_config"]["background"] == "none"
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--threshold", "yen", "-o", tmp_path / "y.tif")
    assert rc == 0, err
    run = json.loads((tmp_path / "y.json").read_text())
    assert "envelope background" in run["run"]["threshold_on"]
