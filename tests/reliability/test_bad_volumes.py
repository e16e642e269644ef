"""Bad 3-D inputs get the same one-line errors as any other bad input."""

import numpy as np
import pytest
import tifffile

from histdip.errors import InputError
from histdip.stack import restore_stack
from histdip.volume import restore_volume
from tests.helpers import assert_one_line_error, beads, cli, files_under


@pytest.mark.parametrize("array, needle", [
    (np.zeros((1, 32, 32), np.uint16), "at least 2 planes"),
    (np.zeros((32, 32), np.uint16), "three axes"),
    (np.zeros((2, 3, 32, 32), np.uint16), "three axes"),
    (np.zeros((4, 6, 32), np.uint16), "at least 8x8"),
    (np.full((4, 16, 16), np.nan), "NaN"),
    (np.zeros((4, 16, 16), complex), "data type"),
])
def test_bad_volumes_are_one_line_input_errors(array, needle):
    with pytest.raises(InputError, match=needle) as info:
        restore_volume(array, iterations=1)
    assert "\n" not in str(info.value)


def test_a_stack_without_z_or_with_one_plane_is_refused_in_3d():
    with pytest.raises(InputError, match="no Z axis"):
        restore_stack(np.zeros((3, 16, 16), np.uint8), "TYX", volume="3d")
    with pytest.raises(InputError, match="needs at least 2"):
        restore_stack(np.zeros((2, 1, 16, 16), np.uint8), "TZYX", volume="3d")


def test_the_command_refuses_a_one_plane_stack_in_3d_in_one_line(tmp_path, capsys):
    # A Z axis of one plane is dropped by tifffile: the file is a time-lapse of 2.
    data = np.stack([beads((32, 32), np.uint16, seed=k) for k in range(2)])[:, None]
    src = tmp_path / "flat.ome.tif"
    tifffile.imwrite(src, data, ome=True, photometric="minisblack", metadata={"axes": "TZYX"})
    rc, _, err = cli(capsys, "restore", src, "--volume", "3d", "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "volume='3d'", "--volume planes")
    assert files_under(tmp_path / "out") == []
