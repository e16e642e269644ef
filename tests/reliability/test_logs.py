"""Progress in a log: a few plain lines per image, never a stream of carriage returns.

A tqdm bar redraws itself with '\\r'; a log keeps every redraw, and one FMD frame's log
was a single 60 kB line. Off a terminal (a pipe here, as under a scheduler) histdip
prints each task's start, its quarters and its end with the stop reason instead
(:mod:`histdip.progress`).
"""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr
from ome_zarr.writer import write_multiscales_metadata

import histdip
from histdip.errors import ConfigError
from histdip.progress import ENV, open_progress, progress_mode
from histdip.tiled import restore_tiled
from tests.helpers import beads, save_png

FIT = ("--iterations", "40", "--stop", "fixed", "--seed", "1")
TINY_NET = {"channels_down": [4] * 3, "channels_up": [4] * 3, "channels_skip": [2] * 3}


def histdip_cli(*args, cwd, env=None):
    """``histdip ARGS`` in a subprocess with stdout and stderr on pipes (no terminal)."""
    exe = Path(sys.executable).with_name("histdip")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "histdip"]
    environ = {k: v for k, v in os.environ.items() if k != ENV}
    environ.update(OMP_NUM_THREADS="1", **(env or {}))
    done = subprocess.run(command + [str(a) for a in args], capture_output=True, timeout=300, cwd=cwd, env=environ)
    # Decoded by hand: text mode would turn every '\r' into '\n' and hide a bar's redraws.
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


@pytest.fixture(scope="module")
def two_photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    return [save_png(folder / f"p{i}.png", beads((48, 64), seed=i)) for i in range(2)]


def test_restore_into_a_pipe_prints_a_few_lines_per_image_with_the_stop_reason(two_photos, tmp_path):
    done = histdip_cli("restore", *two_photos, "--outdir", tmp_path / "out", *FIT, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr and "\x1b" not in done.stderr
    lines = done.stderr.splitlines()
    # start, at most three quarters and the end, per fit; nothing else
    assert 2 * 2 <= len(lines) <= 2 * 5, done.stderr
    assert all(line.startswith("fitting: ") and len(line) < 300 for line in lines), done.stderr
    assert lines.count("fitting: 0/40 steps") == 2
    for photo in two_photos:
        reason = json.loads((tmp_path / "out" / f"{photo.stem}_histdip.json").read_text())["run"]["stop_reason"]
        assert reason == "fixed: ran all 40 iterations"
        assert sum(line.startswith("fitting: 40/40 steps") and line.endswith(reason) for line in lines) == 2


def test_the_bar_the_lines_replace_is_what_a_log_would_keep(two_photos, tmp_path):
    # Forced onto the pipe, the terminal's bar shows what the lines spare a log.
    done = histdip_cli("restore", two_photos[0], "--outdir", tmp_path / "out", *FIT, cwd=tmp_path,
                       env={ENV: "bar"})
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\r") >= 2


@pytest.mark.parametrize("how", [{"env": {ENV: "off"}}, {"flags": ("-q",)}])
def test_off_or_quiet_prints_nothing_on_stderr(two_photos, tmp_path, how):
    done = histdip_cli("restore", two_photos[0], "--outdir", tmp_path / "out", *FIT, *how.get("flags", ()),
                       cwd=tmp_path, env=how.get("env"))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_an_unknown_progress_setting_is_a_one_line_error(two_photos, tmp_path):
    done = histdip_cli("restore", two_photos[0], "--outdir", tmp_path / "out", *FIT, cwd=tmp_path,
                       env={ENV: "fancy"})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and ENV in done.stderr and "Traceback" not in done.stderr


def test_a_batch_in_a_log_says_each_photo_as_it_finishes(two_photos, tmp_path):
    done = histdip_cli("restore", two_photos[0].parent, "--outdir", tmp_path / "out", "--method", "threshold",
                       "--workers", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "restoring: 0/2 photos", done.stderr
    assert any(line.endswith("p0.png restored") for line in lines) and any(
        line.endswith("p1.png restored") for line in lines), done.stderr
    assert lines[-1].startswith("restoring: 2/2 photos") and lines[-1].endswith(": done"), done.stderr
    assert len(lines) <= 4, done.stderr


def test_a_stack_in_a_log_gives_lines_for_its_planes(capsys):
    stack = np.stack([beads((32, 40), seed=s) for s in range(8)])
    histdip.restore_stack(stack, "TYX", method="threshold", threshold=100, progress=True)
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert "\r" not in err
    assert lines[0] == "planes: 0/8 planes" and lines[-1].startswith("planes: 8/8 planes")
    assert lines[-1].endswith(": done") and len(lines) <= 5, err


def test_tiles_in_a_log_give_lines_for_the_tiles_and_the_fit(tmp_path, capsys):
    group = zarr.open_group(str(tmp_path / "in.ome.zarr"), mode="w", zarr_format=2)
    group.create_array("0", shape=(64, 64), chunks=(32, 32), dtype="uint8")[:] = beads((64, 64))
    axes = [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]
    write_multiscales_metadata(group, [{"path": "0", "coordinateTransformations": [
        {"type": "scale", "scale": [1.0, 1.0]}]}], axes=axes)
    restore_tiled(tmp_path / "in.ome.zarr", tmp_path / "out.ome.zarr", tile=32, halo=8, fit_size=32,
                  progress=True, network=TINY_NET, iterations=4, stopping={"rule": "fixed"})
    err = capsys.readouterr().err
    assert "\r" not in err
    tiles = [line for line in err.splitlines() if line.startswith("tiles: ")]
    fitting = [line for line in err.splitlines() if line.startswith("fitting: ")]
    assert tiles[0] == "tiles: 0/4 tiles" and tiles[-1].startswith("tiles: 4/4 tiles") and len(tiles) <= 5, err
    assert fitting[-1].endswith("fixed: ran all 4 iterations"), err


# ------------------------------------------------------------------ the lines themselves


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_long_task_says_it_is_alive_every_interval_and_its_quarters():
    out, clock = io.StringIO(), Clock()
    bar = open_progress(1000, "fitting", "it", items="steps", file=out, mode="lines", interval=60, clock=clock)
    for _ in range(1000):
        clock.now += 0.5  # 500 s in all: about eight minutes of lines, and four quarters
        bar.update(1, loss="0.5")
    bar.close("cap: reached the 1000-iteration limit")
    lines = out.getvalue().splitlines()
    assert lines[0] == "fitting: 0/1000 steps"
    assert lines[-1] == "fitting: 1000/1000 steps, 500.0 s, loss 0.5: cap: reached the 1000-iteration limit"
    assert 8 <= len(lines) <= 2 + 8 + 3, lines
    assert any(line.startswith("fitting: 250/1000 steps") for line in lines)


def test_a_note_gets_its_own_line_and_closing_twice_prints_once():
    out = io.StringIO()
    bar = open_progress(3, "restoring", "photo", file=out, mode="lines", clock=lambda: 0.0)
    bar.update(1, note="a.png restored")
    bar.write("histdip restore: error: b.png: broken")
    bar.close("interrupted", count=2)
    bar.close()
    assert out.getvalue().splitlines() == ["restoring: 0/3 photos", "restoring: 1/3 photos, 0.0 s: a.png restored",
                                           "histdip restore: error: b.png: broken",
                                           "restoring: 2/3 photos, 0.0 s: interrupted"]


def test_the_mode_follows_the_stream_and_the_setting(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv(ENV, raising=False)
    assert progress_mode(io.StringIO()) == "lines"
    assert progress_mode(Terminal()) == "bar"
    monkeypatch.setenv(ENV, "lines")
    assert progress_mode(Terminal()) == "lines"
    monkeypatch.setenv(ENV, "off")
    assert open_progress(5, "fitting", "it", file=io.StringIO()) is None
    monkeypatch.setenv(ENV, "sometimes")
    with pytest.raises(ConfigError, match=ENV):
        progress_mode(io.StringIO())
