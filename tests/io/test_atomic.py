"""histdip.io.atomic: outputs appear whole or not at all, never clobber a file unless
asked, and never replace an input."""

import numpy as np
import pytest

from histdip.errors import HistdipError, InputError
from histdip.io import OutputBatch, atomic_output, check_output_path, write_image
from tests.helpers import files_under


def test_refuses_to_overwrite_and_never_writes_protected(tmp_path):
    target = tmp_path / "out.tif"
    write_image(target, np.zeros((8, 8), np.float32))
    before = target.read_bytes()
    with pytest.raises(InputError, match="already exists"):
        write_image(target, np.ones((8, 8), np.float32))
    assert target.read_bytes() == before
    write_image(target, np.ones((8, 8), np.float32), overwrite=True)
    assert target.read_bytes() != before
    with pytest.raises(InputError, match="overwrite the input"):
        write_image(target, np.ones((8, 8), np.float32), overwrite=True, protect=[target])
    # The same file through another spelling of the path is still protected.
    alias = tmp_path / "." / "out.tif"
    with pytest.raises(InputError, match="overwrite the input"):
        write_image(alias, np.ones((8, 8), np.float32), overwrite=True, protect=[target])
    assert files_under(tmp_path) == ["out.tif"]


def test_check_output_path_refuses_a_folder_and_a_missing_folder(tmp_path):
    (tmp_path / "dir.tif").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        check_output_path(tmp_path / "dir.tif", overwrite=True)
    with pytest.raises(InputError, match="does not exist"):
        check_output_path(tmp_path / "new" / "x.tif")
    assert check_output_path(tmp_path / "new" / "x.tif", folder_may_be_missing=True) == tmp_path / "new" / "x.tif"


def test_atomic_output_interrupt_keeps_old_file(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target, overwrite=True) as tmp:
            tmp.write_text("new, half written")
            raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert files_under(tmp_path) == ["keep.txt"]


def test_atomic_output_refuses_to_put_an_empty_file_in_place(tmp_path):
    with pytest.raises(HistdipError, match="nothing was written"):
        with atomic_output(tmp_path / "x.txt"):
            pass
    assert files_under(tmp_path) == []


def test_output_batch_all_or_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with OutputBatch() as batch:
            batch.stage(tmp_path / "a.txt").write_text("a")
            batch.stage(tmp_path / "sub" / "b.txt").write_text("b")
            raise RuntimeError("failed half way")
    assert files_under(tmp_path) == []
    with OutputBatch() as batch:
        batch.stage(tmp_path / "a.txt").write_text("a")
        batch.stage(tmp_path / "sub" / "b.txt").write_text("b")
        assert not (tmp_path / "a.txt").exists()  # nothing in place before the block ends
    assert files_under(tmp_path) == ["a.txt", "sub", "sub/b.txt"]
    assert (tmp_path / "sub" / "b.txt").read_text() == "b"


def test_output_batch_refuses_existing_before_work(tmp_path):
    (tmp_path / "a.txt").write_text("mine")
    batch = OutputBatch()
    with pytest.raises(InputError, match="already exists"):
        batch.stage(tmp_path / "a.txt")
    assert (tmp_path / "a.txt").read_text() == "mine"


def test_output_batch_refuses_one_destination_twice(tmp_path):
    with pytest.raises(InputError, match="written twice"):
        with OutputBatch() as batch:
            batch.stage(tmp_path / "a.txt").write_text("a")
            batch.stage(tmp_path / "." / "a.txt")
    assert files_under(tmp_path) == []
