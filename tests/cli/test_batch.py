"""`histdip restore DIR --outdir OUT`: a batch on a real 2-worker local Dask cluster.

Skipping, leaving other settings alone, failures, the summary, a series, an existing
scheduler, and the two faults a lab meets: the batch killed with SIGKILL midway, and
Ctrl-C. The fits are tiny (a few steps): what is tested is the batch, not the fit.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from histdip.io import read_image
from tests.helpers import beads, cli, save_png

FAST = ("--iterations", "4", "--stop", "fixed", "--workers", "2")


def photos(folder, n=4, shape=(48, 64)):
    folder.mkdir(parents=True, exist_ok=True)
    return [save_png(folder / f"p{i}.png", beads(shape=shape, seed=i, rgb=True)) for i in range(n)]


def summary(path):
    with open(path, newline="") as handle:
        return {Path(r["file"]).name: r for r in csv.DictReader(handle)}


def outputs_of(folder):
    return sorted(p.name for p in Path(folder).iterdir())


def test_a_folder_is_restored_on_two_workers_and_a_rerun_skips_it(tmp_path, capsys):
    photos(tmp_path / "in")
    out = tmp_path / "out"
    rc, stdout, _ = cli(capsys, "restore", tmp_path / "in", "--outdir", out, *FAST)
    assert rc == 0 and "4 restored" in stdout
    rows = summary(out / "histdip_summary.csv")
    assert sorted(rows) == [f"p{i}.png" for i in range(4)]
    assert {r["status"] for r in rows.values()} == {"restored"} and all(r["iterations"] == "4" for r in rows.values())
    for i in range(4):
        record = json.loads((out / f"p{i}_histdip.json").read_text())
        assert len(record["batch"]["fingerprint"]) == 20 and record["run"]["iterations"] == 4
        assert read_image(out / f"p{i}_histdip.tif").shape == (48, 64)
    before = {p: (out / p).stat().st_mtime_ns for p in outputs_of(out) if p.endswith(".tif")}
    rc, stdout, _ = cli(capsys, "restore", str(tmp_path / "in" / "*.png"), "--outdir", out, *FAST)
    assert rc == 0 and "4 skipped" in stdout
    assert {p: (out / p).stat().st_mtime_ns for p in before} == before


def test_outputs_made_with_other_settings_are_left_alone_unless_overwrite(tmp_path, capsys):
    photos(tmp_path / "in", n=2)
    out = tmp_path / "out"
    assert cli(capsys, "restore", tmp_path / "in", "--outdir", out, *FAST)[0] == 0
    kept = (out / "p0_histdip.tif").read_bytes()
    rc, stdout, err = cli(capsys, "restore", tmp_path / "in", "--outdir", out, *FAST, "--seed", "3")
    assert rc == 2 and "2 left alone" in stdout and "pass --overwrite" in err
    assert (out / "p0_histdip.tif").read_bytes() == kept
    rc, stdout, _ = cli(capsys, "restore", tmp_path / "in", "--outdir", out, *FAST, "--seed", "3", "--overwrite")
    assert rc == 0 and "2 restored" in stdout
    assert json.loads((out / "p0_histdip.json").read_text())["histdip_config"]["seed"] == 3


def test_a_failing_file_is_recorded_and_the_batch_goes_on(tmp_path, capsys):
    photos(tmp_path / "in", n=2)
    (tmp_path / "in" / "broken.png").write_text("not an image")
    rc, stdout, err = cli(capsys, "restore", tmp_path / "in", "--outdir", tmp_path / "out", *FAST)
    assert rc == 2 and "2 restored" in stdout and "1 failed" in stdout
    rows = summary(tmp_path / "out" / "histdip_summary.csv")
    assert rows["broken.png"]["status"] == "failed" and "broken.png" in rows["broken.png"]["error"]
    assert "broken.png" in err
    assert not (tmp_path / "out" / ".histdip-batch").exists()


def test_a_series_fits_every_other_photo_from_the_first_and_records_it(tmp_path, capsys):
    photos(tmp_path / "in", n=3)
    out = tmp_path / "out"
    rc, _, _ = cli(capsys, "restore", tmp_path / "in", "--outdir", out, "--iterations", "6", "--stop", "fixed",
                   "--workers", "2", "--series", tmp_path / "in" / "p1.png", "--series-steps", "2", "--same-split")
    assert rc == 0
    assert (out / "p1_histdip_model.pt").exists()
    ref = json.loads((out / "p1_histdip.json").read_text())
    assert ref["run"]["warm_start"] is None and ref["run"]["iterations"] == 6
    for name in ("p0", "p2"):
        record = json.loads((out / f"{name}_histdip.json").read_text())
        assert record["run"]["warm_start"] == {"source": "p1.png", "iterations": 6}
        assert record["run"]["iterations"] == 2
        assert record["batch"]["series"]["photo"] == "p1.png"
        assert record["histdip_config"]["threshold"] == pytest.approx(ref["run"]["threshold"])
    assert summary(out / "histdip_summary.csv")["p0.png"]["warm_start"] == "p1.png"


def test_batch_option_mistakes_are_one_line(tmp_path, capsys):
    photos(tmp_path / "in", n=1)
    for extra, needle in ((("--same-split",), "give --series"), (("--series", tmp_path / "x.png"), "no such photo"),
                          (("-o", tmp_path / "x.tif"), "--outdir")):
        rc, _, err = cli(capsys, "restore", tmp_path / "in", *map(str, extra))
        assert rc == 2 and needle in err and len(err.strip().splitlines()) == 1
    rc, _, err = cli(capsys, "restore", tmp_path / "nothing", "--workers", "1")
    assert rc == 2 and "no such file, folder or pattern" in err


def test_an_existing_scheduler_is_used(tmp_path, capsys):
    from distributed import LocalCluster

    photos(tmp_path / "in", n=2)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        rc, stdout, _ = cli(capsys, "restore", tmp_path / "in", "--outdir", tmp_path / "out", "--iterations", "3",
                            "--stop", "fixed", "--scheduler", cluster.scheduler_address)
    assert rc == 0 and "2 restored" in stdout


def _command(tmp_path):
    return [sys.executable, "-m", "histdip.cli.main", "restore", str(tmp_path / "in"), "--outdir",
            str(tmp_path / "out"), "--iterations", "600", "--stop", "fixed", "--workers", "2"]


def _default_sigint():
    # A test run from a background job inherits SIGINT ignored, and an ignored signal
    # stays ignored across exec: the batch would never see the Ctrl-C sent below.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(tmp_path):
    return subprocess.Popen(_command(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True,
                            preexec_fn=_default_sigint)


def _wait_for(predicate, proc, limit=120):
    start = time.monotonic()
    while not predicate():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - start < limit, "the batch never got that far"
        time.sleep(0.1)


def _finished(out):
    return sorted(p.name for p in out.glob("*_histdip.json"))


def test_a_batch_killed_midway_and_rerun_gets_every_output_once(tmp_path, capsys):
    photos(tmp_path / "in", n=8)
    out = tmp_path / "out"
    proc = _start(tmp_path)
    _wait_for(lambda: len(_finished(out)) >= 2, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the batch and its workers, at once
    proc.wait()
    done_before = _finished(out)
    assert 2 <= len(done_before) < 8
    rc, stdout, _ = cli(capsys, *_command(tmp_path)[3:])
    assert rc == 0
    rows = summary(out / "histdip_summary.csv")
    assert {n for n, r in rows.items() if r["status"] == "skipped"} >= {n.replace("_histdip.json", ".png")
                                                                         for n in done_before}
    assert {r["status"] for r in rows.values()} <= {"restored", "skipped"}
    assert _finished(out) == [f"p{i}_histdip.json" for i in range(8)]
    for i in range(8):
        assert read_image(out / f"p{i}_histdip.tif").shape == (48, 64)
        json.loads((out / f"p{i}_histdip.json").read_text())
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_ctrl_c_stops_cleanly_and_says_what_finished(tmp_path):
    photos(tmp_path / "in", n=8)
    out = tmp_path / "out"
    proc = _start(tmp_path)
    # Three outputs on disk with two workers: at least three of eight jobs never started.
    _wait_for(lambda: len(_finished(out)) >= 3, proc)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the foreground job
    _, err = proc.communicate(timeout=120)
    err = err.decode()
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "rerun the same command" in err
    rows = summary(out / "histdip_summary.csv")
    assert "not run" in {r["status"] for r in rows.values()}
    # A job's outputs land on its worker before the batch hears of it, so a job may be done
    # on disk but not counted (the rerun finds it done); what is counted must be on disk, and
    # the line printed must agree with the summary.
    restored = {n for n, r in rows.items() if r["status"] == "restored"}
    assert restored <= {n.replace("_histdip.json", ".png") for n in _finished(out)}
    assert f"interrupted: {len(restored)} of 8 inputs done" in err
    rerun = subprocess.run(_command(tmp_path), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert len(_finished(out)) == 8


def test_a_stack_in_a_folder_is_restored_as_one_and_skipped_on_a_rerun(tmp_path, capsys):
    import numpy as np
    import tifffile

    photos(tmp_path / "in", n=1)
    stack = np.stack([beads(seed=s) for s in (5, 6)])
    tifffile.imwrite(tmp_path / "in" / "cells.ome.tif", stack, ome=True, metadata={"axes": "TYX"})
    out = tmp_path / "out"
    # --side-by-side and --report are a photo's extras: the stack beside it is restored without them
    rc, stdout, _ = cli(capsys, "restore", tmp_path / "in", "--outdir", out, *FAST, "--side-by-side", "--report")
    assert rc == 0 and "2 restored" in stdout
    assert (out / "p0_histdip_side_by_side.png").is_file() and (out / "p0_histdip_report.html").is_file()
    assert not (out / "cells_histdip_report.html").exists() and (out / "index.html").is_file()
    from histdip.report import index_rows
    from histdip.report.images import decode_uri

    stack_row = next(r for r in index_rows(out / "histdip_summary.csv") if r["file"].endswith("cells.ome.tif"))
    for key in ("input_thumb", "output_thumb"):  # the first plane of the stack and of its result
        assert decode_uri(stack_row[key]).shape == (48, 64)
    assert read_image(out / "p0_histdip.tif").shape == (48, 64)
    record = json.loads((out / "cells_histdip.json").read_text())
    assert len(record["planes"]) == 2 and record["batch"]["fingerprint"]
    assert tifffile.imread(out / "cells_histdip.ome.tif").shape == (2, 48, 64)
    assert summary(out / "histdip_summary.csv")["cells.ome.tif"]["iterations"] == "8"
    rc, stdout, _ = cli(capsys, "restore", tmp_path / "in", "--outdir", out, *FAST, "--side-by-side", "--report")
    assert rc == 0 and "2 skipped" in stdout
    # the skipped row carries the stack's steps as its restored row did
    assert summary(out / "histdip_summary.csv")["cells.ome.tif"]["iterations"] == "8"


def _omezarr(path, image):
    import zarr
    from ome_zarr.writer import write_image

    group = zarr.open_group(str(path), mode="w")
    write_image(image, group, axes=[{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                scale_factors=(), storage_options={"chunks": (32, 32)})
    return path


def test_an_ome_zarr_image_is_restored_alone_and_in_a_folder(tmp_path, capsys):
    from histdip.io import open_omezarr

    store = _omezarr(tmp_path / "in" / "slide.ome.zarr", beads(shape=(64, 96), seed=2))
    rc, stdout, err = cli(capsys, "restore", store, "--outdir", tmp_path / "one", "--iterations", "3", "--stop",
                          "fixed", "--threshold", "60")
    assert rc == 0, err
    assert open_omezarr(tmp_path / "one" / "slide_histdip.ome.zarr").levels[0].shape == (64, 96)
    # -o names the store (and its record beside it); a TIFF name is refused for a Zarr input
    rc, _, err = cli(capsys, "restore", store, "-o", tmp_path / "named.ome.zarr", "--iterations", "3", "--stop",
                     "fixed", "--threshold", "60", "-q")
    assert rc == 0, err
    assert open_omezarr(tmp_path / "named.ome.zarr").levels[0].shape == (64, 96)
    rc, _, err = cli(capsys, "restore", store, "-o", tmp_path / "named.tif", "--threshold", "60", "-q")
    assert rc == 2 and "must end in .zarr" in err and not (tmp_path / "named.tif").exists()
    photos(tmp_path / "in", n=1)
    out = tmp_path / "out"
    for expected in ("2 restored", "2 skipped"):
        rc, stdout, err = cli(capsys, "restore", tmp_path / "in", "--outdir", out, *FAST, "--threshold", "60")
        assert rc == 0 and expected in stdout, err
    record = json.loads((out / "slide_histdip.json").read_text())
    assert record["batch"]["fingerprint"] and record["run"]["iterations"] == 4
