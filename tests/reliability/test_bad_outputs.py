"""Where outputs cannot go: a read-only folder, the input itself, a full disk. One line
naming the output, exit 2, nothing left behind (no file, no ``.partial``); from Python an
:class:`~histdip.errors.OutputError` (an :class:`InputError`, so older code still
catches it).

Tests run as root in CI, where a folder's mode does not stop writes: the read-only folder
is then simulated (:func:`read_only`). A full disk is simulated by making the rename that
puts each output in place, or the writer itself, fail with ``ENOSPC``.
"""

import errno
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import tifffile

from histdip.errors import InputError, OutputError
from histdip.io import OutputBatch, write_image
from tests.helpers import assert_one_line_error, beads, files_under, save_png
from tests.reliability.crafted import partials, run_quietly

TINY = ("--iterations", "3", "--stop", "fixed")
V1_MODEL = Path(__file__).parents[1] / "data" / "v1_model.pt"


def read_only(folder, monkeypatch):
    """Make ``folder`` read-only; where its mode does not stop this process (root), make
    the system calls say so instead: ``os.access`` and creating a file in it."""
    folder.mkdir(exist_ok=True)
    folder.chmod(0o555)
    if not os.access(folder, os.W_OK):
        return folder
    real_access, real_mkstemp = os.access, tempfile.mkstemp

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and Path(path).resolve() == folder.resolve():
            return False
        return real_access(path, mode, *args, **kwargs)

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve() == folder.resolve():
            raise PermissionError(errno.EACCES, "Permission denied", str(folder))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    return folder


@pytest.fixture
def ro(tmp_path, monkeypatch):
    folder = read_only(tmp_path / "read-only", monkeypatch)
    yield folder
    folder.chmod(0o755)


# ------------------------------------------------------------------ read-only folder
@pytest.mark.parametrize("command", ["restore", "threshold", "simulate"])
def test_a_read_only_folder_is_refused_before_any_work(tmp_path, capsys, caplog, ro, command):
    photo = save_png(tmp_path / "photo.png", beads())
    argv = {"restore": ["restore", photo, "--outdir", ro, *TINY, "-q"],
            "threshold": ["threshold", photo, "--outdir", ro],
            "simulate": ["simulate", ro, "--size", "48x64"]}[command]
    rc, _, err = run_quietly(capsys, caplog, *argv)
    assert rc == 2
    assert_one_line_error(err, command, ro, "read-only")
    assert files_under(ro) == []


def test_the_api_refuses_a_read_only_folder_with_output_error(ro):
    with pytest.raises(OutputError, match="read-only"):
        write_image(ro / "x.tif", beads())
    assert files_under(ro) == []


def test_a_write_refused_by_the_system_is_one_line_too(tmp_path, capsys, caplog, monkeypatch):
    """A folder the access check lets through but the system refuses (a root-squashed
    network share): the first file created in it fails, in one line."""
    out = tmp_path / "share"
    out.mkdir()
    real = tempfile.mkstemp

    def refused(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve() == out.resolve():
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    photo = save_png(tmp_path / "photo.png", beads())
    rc, _, err = run_quietly(capsys, caplog, "restore", photo, "--outdir", out, *TINY, "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", out, "Permission denied")
    assert files_under(out) == []


# ------------------------------------------------------------------ the output is the input
def _hard_link(photo, tmp_path):
    link = tmp_path / "same.tif"
    os.link(photo, link)
    return link


def _symlink(photo, tmp_path):
    link = tmp_path / "same.tif"
    link.symlink_to(photo)
    return link


#: case -> argv, from the TIFF and the PNG of one photo and the folder they lie in
SAME_AS_INPUT = {
    "restore -o a hard link to it": lambda tif, png, d: ["restore", tif, "-o", _hard_link(tif, d), "--overwrite",
                                                         *TINY],
    "restore -o a symlink to it": lambda tif, png, d: ["restore", tif, "-o", _symlink(tif, d), "--overwrite", *TINY],
    "threshold --plot it": lambda tif, png, d: ["threshold", png, "--plot", png, "--overwrite"],
    "count --overlay it": lambda tif, png, d: ["count", png, "-o", d / "c.csv", "--overlay", png, "--overwrite",
                                               *TINY],
    "apply -o it": lambda tif, png, d: ["apply", V1_MODEL, tif, "-o", tif, "--overwrite"],
}


@pytest.mark.parametrize("case", sorted(SAME_AS_INPUT))
def test_an_output_that_is_the_input_is_refused_even_with_overwrite(tmp_path, capsys, caplog, case):
    tif = tmp_path / "photo.tif"
    tifffile.imwrite(tif, beads())
    png = save_png(tmp_path / "photo.png", beads())
    argv = SAME_AS_INPUT[case](tif, png, tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    rc, _, err = run_quietly(capsys, caplog, *argv)
    assert rc == 2
    assert_one_line_error(err, argv[0], "would overwrite the input")
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_the_api_never_writes_a_protected_path(tmp_path):
    photo = tmp_path / "photo.tif"
    tifffile.imwrite(photo, beads())
    before = photo.read_bytes()
    with pytest.raises(OutputError, match="would overwrite the input"):
        write_image(photo, beads() * 2, overwrite=True, protect=[photo])
    assert photo.read_bytes() == before


def test_an_outdir_that_is_a_file_is_refused(tmp_path, capsys, caplog):
    photo = save_png(tmp_path / "photo.png", beads())
    (tmp_path / "out").write_text("a file")
    rc, _, err = run_quietly(capsys, caplog, "restore", photo, "--outdir", tmp_path / "out", *TINY, "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "out", "exists and is not a folder")


# ------------------------------------------------------------------ a full disk
def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _disk_full_at_rename(monkeypatch):
    """Every output is written, then cannot be put in place: what a file system that
    fills up at the last block shows."""
    monkeypatch.setattr(os, "link", _no_space)
    monkeypatch.setattr(os, "replace", _no_space)


def _commands(tmp_path):
    photo = save_png(tmp_path / "photo.png", beads())
    shutil.copy(V1_MODEL, tmp_path / "model.pt")
    out = tmp_path / "out"
    return {
        "restore": ["restore", photo, "--outdir", out, *TINY, "-q"],
        "threshold": ["threshold", photo, "--outdir", out],
        "fit": ["fit", photo, "-o", out / "m.pt", *TINY, "-q"],
        "apply": ["apply", tmp_path / "model.pt", photo, "--outdir", out, "-q"],
        "count": ["count", photo, "-o", out / "c.csv", *TINY, "-q"],
        "simulate": ["simulate", out, "--size", "48x64"],
    }


@pytest.mark.parametrize("command", ["restore", "threshold", "fit", "apply", "count", "simulate"])
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, capsys, caplog, monkeypatch, command):
    argv = _commands(tmp_path)[command]
    (tmp_path / "out").mkdir()
    _disk_full_at_rename(monkeypatch)
    rc, _, err = run_quietly(capsys, caplog, *argv)
    assert rc == 2
    assert_one_line_error(err, command, "No space left on device")
    assert files_under(tmp_path / "out") == [] and partials(tmp_path) == []


def test_a_full_disk_from_the_api(tmp_path, monkeypatch):
    """write_image: the writer's own OSError, the temporary file removed; OutputBatch: an
    OutputError naming the destination, and the outputs it had put in place removed."""

    def half_then_full(path, *args, **kwargs):
        Path(path).write_bytes(b"II*\x00 half a file")
        _no_space()

    monkeypatch.setattr(tifffile, "imwrite", half_then_full)
    with pytest.raises(OSError) as err:
        write_image(tmp_path / "x.tif", beads())
    assert err.value.errno == errno.ENOSPC and files_under(tmp_path) == []
    monkeypatch.undo()
    real_link = os.link
    calls = []

    def second_fails(src, dst, *args, **kwargs):
        calls.append(dst)
        if len(calls) == 2:
            _no_space()
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "link", second_fails)
    monkeypatch.setattr(os, "replace", _no_space)
    with pytest.raises(OutputError, match=r"b\.txt: cannot write output \(No space left on device\)"):
        with OutputBatch() as batch:
            batch.stage(tmp_path / "a.txt").write_text("a")
            batch.stage(tmp_path / "b.txt").write_text("b")
    assert isinstance(OutputError("x"), InputError)
    assert files_under(tmp_path) == []


def test_odd_write_shapes_are_refused_before_a_file_is_made(tmp_path):
    with pytest.raises(InputError, match="cannot write an image of shape"):
        write_image(tmp_path / "x.tif", np.zeros((2, 2, 2, 2)))
    assert files_under(tmp_path) == []
