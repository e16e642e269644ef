"""`histdip restore`'s outputs: one-line errors that write nothing, faithful round trips,
no clobbering, and nothing partial left by a failure (the threshold method: fast)."""

from pathlib import Path

import numpy as np
import pytest
import tifffile

from histdip.errors import HistdipError
from histdip.io import read_image
from tests.helpers import BAD_INPUTS, assert_one_line_error, beads, cli, files_under, make_truncated_png, save_png


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


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize("source, dtype, flags, output, out_dtype", [
    ("in.png", np.uint8, [], "out.png", np.uint8),
    ("in.png", np.uint8, [], "out.tif", np.float32),  # float32 on the input's 0-255
    ("in.tif", np.uint16, ["--keep-dtype"], "out.tif", np.uint16),
    ("in.tif", np.float32, [], "out.tif", np.float32),
])
def test_round_trip_keeps_every_value(tmp_path, capsys, source, dtype, flags, output, out_dtype):
    img = beads((37, 53), dtype=dtype)
    src = tmp_path / source
    save_png(src, img) if source.endswith(".png") else tifffile.imwrite(src, img)
    rc, _, err = cli(capsys, "restore", src, "--method", "threshold", "--background", "none", "--threshold", "0",
                     *flags, "-o", tmp_path / output, "-q")
    assert rc == 0, err
    back = read_image(tmp_path / output)
    assert back.dtype == out_dtype
    np.testing.assert_allclose(back, img, rtol=0, atol=1e-6)  # every pixel >= 1 > T = 0


def test_default_outdir_and_summary_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_png(tmp_path / "b.png", beads())
    rc, out, err = cli(capsys, "restore", "b.png", "--method", "threshold")
    assert rc == 0, err
    # the default learns the split: the output is the primary layer, the three layers beside it
    assert files_under(tmp_path / "histdip-output") == ["b_histdip.json", "b_histdip.tif", "b_histdip_background.tif", "b_histdip_recording.tif", "b_histdip_signal.tif"]
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
    # a hand T writes no layers, and those of the first run are not left beside its output
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


# ------------------------------------------------------------------ failures leave nothing
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
    assert files_under(tmp_path / "out") == ["a_histdip.json", "a_histdip.tif", "a_histdip_background.tif", "a_histdip_recording.tif", "a_histdip_signal.tif", "c_histdip.json", "c_histdip.tif", "c_histdip_background.tif", "c_histdip_recording.tif", "c_histdip_signal.tif"]


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
