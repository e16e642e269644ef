"""The installed ``histdip`` entry point, run as a user would: in a subprocess."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import histdip
from histdip.cli.main import main
from tests.helpers import assert_one_line_error, beads, files_under, make_truncated_png, save_png


def _histdip(*args, cwd):
    exe = Path(sys.executable).with_name("histdip")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "histdip"]
    return subprocess.run(command + [str(a) for a in args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_real_entry_point_in_a_subprocess(tmp_path):
    bad = make_truncated_png(tmp_path)
    proc = _histdip("restore", bad, "--outdir", tmp_path / "out", "-q", cwd=tmp_path)
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "restore", bad, "corrupt or truncated PNG")
    assert proc.stdout == ""
    assert files_under(tmp_path / "out") == []
    good = save_png(tmp_path / "good.png", beads())
    proc = _histdip("threshold", good, "--threshold", "100", "--json", "--no-plot", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert 0 < json.loads(proc.stdout)["foreground_fraction"] < 0.2
    assert files_under(tmp_path) == ["good.png", "trunc.png"]


def test_help_lists_the_commands_and_no_bench(tmp_path):
    proc = _histdip("--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    commands = re.findall(r"^    (\w+)", proc.stdout, flags=re.M)
    assert commands == ["restore", "threshold", "fit", "apply", "score", "simulate", "count", "report"], proc.stdout
    assert "bench" not in proc.stdout


def test_version(tmp_path):
    proc = _histdip("--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"histdip {histdip.__version__}"
    assert histdip.__version__[0].isdigit()


@pytest.mark.parametrize("args", [[], ["bench"]])
def test_no_or_unknown_command_is_a_usage_error(capsys, args):
    with pytest.raises(SystemExit) as stop:
        main(args)
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert err.startswith("usage: histdip") and "Traceback" not in err
