"""What the user owns: every command leaves its inputs as they were, and replaces an
existing output only with ``--overwrite``.

For each command: a first run writes its outputs; a second run with other settings and
no ``--overwrite`` is refused in one line and changes no byte of them; a third with
``--overwrite`` replaces them. Across all three, no input changes (bytes nor mtime) and
no ``.partial`` file is left. ``histdip score`` writes nothing at all.
"""

import shutil
from pathlib import Path

import numpy as np
import pytest
import tifffile

from tests.helpers import assert_one_line_error, beads, cli, files_under, save_png
from tests.reliability.crafted import partials

TINY = ("--iterations", "3", "--stop", "fixed")
V1_MODEL = Path(__file__).parents[1] / "data" / "v1_model.pt"


def _state(paths):
    return {str(p): (p.stat().st_mtime_ns, p.read_bytes()) for p in paths}


def _restored(tmp_path, capsys):
    """A restore's run record (the input of ``histdip report``) and the files beside it."""
    photo = save_png(tmp_path / "photo.png", beads())
    rc, _, err = cli(capsys, "restore", photo, "--outdir", tmp_path / "run", *TINY, "-q")
    assert rc == 0, err
    return [photo, *sorted((tmp_path / "run").iterdir())]


def _restore(t, capsys):
    photo = save_png(t / "photo.png", beads())
    return [photo], ["restore", photo, "--outdir", t / "out", *TINY, "-q"], ["--seed", "1"]


def _threshold(t, capsys):
    photo = save_png(t / "photo.png", beads())
    return [photo], ["threshold", photo, "--outdir", t / "out"], ["--threshold", "100"]


def _fit(t, capsys):
    photo = save_png(t / "photo.png", beads())
    return [photo], ["fit", photo, "-o", t / "out" / "m.pt", *TINY, "-q"], ["--seed", "1"]


def _apply(t, capsys):
    model = Path(shutil.copy(V1_MODEL, t / "model.pt"))
    photo = t / "photo.tif"
    tifffile.imwrite(photo, beads())
    return [model, photo], ["apply", model, photo, "--outdir", t / "out", "-q"], ["--keep-dtype"]


def _simulate(t, capsys):
    return [], ["simulate", t / "out", "--size", "48x64"], ["--noise-level", "2"]


def _count(t, capsys):
    photo = save_png(t / "photo.png", beads())
    return [photo], ["count", photo, "-o", t / "out" / "c.csv", *TINY, "-q"], ["--min-snr", "5"]


def _report(t, capsys):
    inputs = _restored(t, capsys)
    return inputs, ["report", t / "run" / "photo_histdip.json", "-o", t / "out" / "page.html", "-q"], \
        ["--pixel-size", "0.5"]


COMMANDS = {"restore": _restore, "threshold": _threshold, "fit": _fit, "apply": _apply, "simulate": _simulate,
            "count": _count, "report": _report}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_outputs_are_replaced_only_with_overwrite_and_inputs_never(tmp_path, capsys, command):
    inputs, argv, other = COMMANDS[command](tmp_path, capsys)
    before = _state(inputs)
    rc, _, err = cli(capsys, *argv)
    assert rc == 0, err
    made = sorted(p for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert made
    first = _state(made)

    rc, _, err = cli(capsys, *argv, *other)
    assert rc == 2
    assert_one_line_error(err, command, "already exists", "--overwrite")
    assert _state(made) == first and sorted(p for p in (tmp_path / "out").rglob("*") if p.is_file()) == made

    rc, _, err = cli(capsys, *argv, *other, "--overwrite")
    assert rc == 0, err
    assert _state(made) != first
    assert _state(inputs) == before and partials(tmp_path) == []


def test_score_writes_nothing_and_reads_its_inputs_only(tmp_path, capsys):
    restored = tmp_path / "restored.tif"
    tifffile.imwrite(restored, beads())
    reference = save_png(tmp_path / "clean.png", beads(seed=1))
    bright = beads() > 100
    masks = [save_png(tmp_path / "signal.png", bright.astype(np.uint8) * 255),
             save_png(tmp_path / "back.png", (~bright).astype(np.uint8) * 255)]
    before = _state([restored, reference, *masks])
    rc, out, err = cli(capsys, "score", restored, reference, "--affine", "--signal-mask", masks[0],
                       "--background-mask", masks[1], "--json")
    assert rc == 0, err
    assert _state([restored, reference, *masks]) == before
    assert files_under(tmp_path) == sorted(p.name for p in [restored, reference, *masks])


def test_an_input_is_not_written_when_restore_replaces_its_neighbours(tmp_path, capsys):
    """--overwrite with the input inside the output folder: the outputs beside it are
    replaced, the input is not."""
    photo = save_png(tmp_path / "photo.png", beads())
    before = _state([photo])
    for extra in ((), ("--seed", "1", "--overwrite")):
        rc, _, err = cli(capsys, "restore", photo, "--outdir", tmp_path, *TINY, "--side-by-side", "-q", *extra)
        assert rc == 0, err
    assert _state([photo]) == before
