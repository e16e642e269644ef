"""`--max-memory SIZE` of `histdip restore` and `histdip fit` (histdip.memory)."""

import json

import pytest

from tests.helpers import assert_one_line_error, beads, cli, files_under, save_png

FEW = ["--iterations", "2", "--stop", "fixed", "-q"]


@pytest.mark.parametrize("command", ["restore", "fit"])
def test_a_budget_too_small_is_refused_in_one_line_with_what_to_change(tmp_path, capsys, command):
    src = save_png(tmp_path / "b.png", beads((64, 96)))
    out = ["--outdir", tmp_path / "out"] if command == "restore" else ["-o", tmp_path / "out" / "m.pt"]
    rc, _, err = cli(capsys, command, src, "--max-memory", "1M", *out, *FEW)
    assert rc == 2
    assert_one_line_error(err, command, src, "64 x 96 restoration needs about", "but --max-memory allows 1.0 MiB",
                          "allow more with --max-memory SIZE")
    assert files_under(tmp_path / "out") == []


@pytest.mark.parametrize("size", ["lots", "0", "-2G"])
def test_a_bad_size_is_an_argument_error(tmp_path, capsys, size):
    src = save_png(tmp_path / "b.png", beads((64, 96)))
    with pytest.raises(SystemExit) as info:
        cli(capsys, "restore", src, f"--max-memory={size}", "--outdir", tmp_path / "out", *FEW)
    assert info.value.code == 2
    assert "--max-memory: invalid memory size (like 2G or 500M) value" in capsys.readouterr().err


def test_a_budget_that_fits_is_saved_with_the_settings_and_the_record_has_the_estimate(tmp_path, capsys):
    src = save_png(tmp_path / "b.png", beads((64, 96)))
    rc, _, err = cli(capsys, "restore", src, "--max-memory", "8G", "--outdir", tmp_path / "out", *FEW)
    assert rc == 0, err
    saved = json.loads((tmp_path / "out" / "b_histdip.json").read_text())
    assert saved["histdip_config"]["max_memory"] == 8 * 2**30
    memory = saved["run"]["memory"]
    assert memory["budget"] == 8 * 2**30 and 0 < memory["estimate"] < memory["budget"] and memory["changed"] == {}
    # the saved settings rerun as they ran
    rc, _, err = cli(capsys, "restore", src, "--config", tmp_path / "out" / "b_histdip.json",
                     "--outdir", tmp_path / "again", "-q")
    assert rc == 0, err
    assert json.loads((tmp_path / "again" / "b_histdip.json").read_text())["run"]["memory"]["budget"] == 8 * 2**30
