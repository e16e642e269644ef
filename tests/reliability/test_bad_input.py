"""Broken and hostile image files: refused in one line naming the file, exit 2, nothing
written; from Python an :class:`~histdip.errors.InputError`.

These add to ``tests.helpers.BAD_INPUTS`` (truncated files, empty, text, folder, NaN,
1 x 1 ..., already refused by ``histdip restore`` in tests/cli/test_outputs.py and by
``read_image`` in tests/io/test_read.py): corrupt rather than cut short, headers that
lie (decompression bombs), shapes and paths those do not cover, and the same refusals
through every other command that reads an image. docs/reliability.md lists each case
with what the user sees.
"""

import importlib.util
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from histdip.errors import InputError
from histdip.io import read_image
from tests.helpers import BAD_INPUTS, assert_one_line_error, assert_read_refused, beads, files_under, make_1x1, save_png
from tests.reliability import crafted
from tests.reliability.crafted import partials, run_quietly

#: case -> (maker, what the one line says)
BROKEN = {
    "corrupt png": (crafted.make_corrupt_png, "corrupt or truncated PNG"),
    "png header without data": (crafted.make_png_without_data, "corrupt or truncated PNG"),
    "png declaring 0 pixels": (crafted.make_png_zero_width, "corrupt or truncated PNG"),
    "corrupt jpeg": (crafted.make_corrupt_jpeg, "corrupt or truncated JPEG"),
    "corrupt tiff": (crafted.make_corrupt_tiff, "corrupt TIFF file (invalid offset to first page"),
    "tiff strip past the end": (crafted.make_tiff_strip_past_end, "corrupt or truncated TIFF"),
    "tiff unknown compression": (crafted.make_tiff_unknown_compression, "corrupt or truncated TIFF"),
    "png bomb": (crafted.make_png_bomb, "declares an image of 10000 Mpx"),
    "jpeg bomb": (crafted.make_jpeg_bomb, "declares an image of 4225 Mpx"),
    "tiff bomb": (crafted.make_tiff_bomb, "declares an image of 100000x100000 pixels"),
    "1 x N": (crafted.make_1xn, "64x1 pixels; histdip needs at least 8x8"),
    "2 x 2": (crafted.make_2x2, "2x2 pixels"),
    "1 x 100000": (crafted.make_1x100000, "100000x1 pixels"),
    "5-D tiff": (crafted.make_5d_tiff, "5-D stack"),
    "animated png": (crafted.make_animated_png, "is a stack of 3 frames of 48x64"),
    "no extension": (crafted.make_no_extension, "unsupported file type (no extension)"),
    "broken link": (crafted.make_broken_link, "broken link"),
    "named pipe": (crafted.make_fifo, "not a regular file"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_restore_refuses_a_broken_file_in_one_line(tmp_path, capsys, caplog, case):
    make, needle = BROKEN[case]
    path = make(tmp_path)
    out = tmp_path / "out"
    rc, _, err = run_quietly(capsys, caplog, "restore", path, "--outdir", out, "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", path, needle)
    assert files_under(out) == []


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_read_image_raises_input_error_naming_the_file(tmp_path, case):
    make, needle = BROKEN[case]
    assert_read_refused(make(tmp_path), needle)


@pytest.mark.skipif(importlib.util.find_spec("imagecodecs") is not None,
                    reason="imagecodecs is installed: an LZW TIFF is decoded, not refused")
def test_lzw_tiff_without_imagecodecs_says_what_to_install(tmp_path, capsys, caplog):
    path = crafted.make_tiff_lzw(tmp_path)
    with pytest.raises(InputError, match="LZW.*pip install imagecodecs"):
        read_image(path)
    rc, _, err = run_quietly(capsys, caplog, "restore", path, "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", path, "pip install imagecodecs")


@pytest.mark.parametrize("make", [crafted.make_png_bomb, crafted.make_jpeg_bomb, crafted.make_tiff_bomb],
                         ids=["png", "jpeg", "tiff"])
def test_a_bomb_is_refused_from_its_header_without_allocating(tmp_path, make):
    path = make(tmp_path)
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="decompression bomb"):
            read_image(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6, f"{peak / 1e6:.0f} MB allocated reading a header"


def test_a_bad_file_at_a_unicode_path_with_spaces_is_named_as_given(tmp_path, capsys, caplog):
    folder = tmp_path / "données de l'été 📷"
    folder.mkdir()
    path = crafted.make_corrupt_png(folder)
    rc, _, err = run_quietly(capsys, caplog, "restore", path, "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", path, "corrupt or truncated PNG")


# ------------------------------------------------------------------ every command that reads an image
def _threshold(path, tmp_path):
    return ["threshold", path, "--outdir", tmp_path / "out"]


def _fit(path, tmp_path):
    return ["fit", path, "-o", tmp_path / "out" / "model.pt", "--iterations", "3", "--stop", "fixed"]


def _apply(path, tmp_path):
    model = Path(__file__).parents[1] / "data" / "v1_model.pt"  # a model from histdip 0.1.0
    return ["apply", model, path, "--outdir", tmp_path / "out"]


def _score(path, tmp_path):
    return ["score", path, save_png(tmp_path / "reference.png", beads())]


def _count(path, tmp_path):
    return ["count", path, "-o", tmp_path / "out" / "counts.csv", "--iterations", "3", "--stop", "fixed"]


COMMANDS = {"threshold": _threshold, "fit": _fit, "apply": _apply, "score": _score, "count": _count}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_reading_command_refuses_bad_input_in_one_line(tmp_path, capsys, caplog, command, case):
    make, needle = BAD_INPUTS[case]
    path = make(tmp_path)
    rc, out, err = run_quietly(capsys, caplog, *COMMANDS[command](path, tmp_path))
    assert rc == 2
    assert_one_line_error(err, command, path, needle)
    assert files_under(tmp_path / "out") == [] and partials(tmp_path) == []


@pytest.mark.parametrize("make, needle", [
    (crafted.make_corrupt_tiff, "invalid offset to first page"),
    (crafted.make_tiff_bomb, "decompression bomb"),
    (make_1x1, "1x1 pixels"),
])
def test_the_real_command_prints_exactly_one_line(tmp_path, make, needle):
    """In a process of its own, where no test framework catches warnings or log records
    before they reach stderr."""
    path = make(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "histdip", "restore", str(path), "--outdir", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "restore", path, needle)
    assert proc.stdout == "" and files_under(tmp_path / "out") == []
