"""``histdip restore stack.tif --volume 3d``: the z spacing read, axes and metadata kept."""

import json

import numpy as np
import pytest
import tifffile

from histdip.io import read_microscopy
from histdip.simulate.volume import simulate_volume
from tests.helpers import cli


def imagej_volume(path, spacing):
    v = simulate_volume((8, 32, 32), spacing=spacing, n_beads=5, seed=11)
    tifffile.imwrite(path, v.volume, imagej=True, resolution=(1 / spacing[2], 1 / spacing[1]),
                     metadata={"axes": "ZYX", "spacing": spacing[0], "unit": "um"})
    return path


@pytest.mark.parametrize("dz, keep_z", [(0.3, True), (0.1, True)])
def test_a_z_stack_restored_in_3d_keeps_axes_and_spacing(tmp_path, capsys, dz, keep_z):
    src = imagej_volume(tmp_path / "vol.tif", (dz, 0.1, 0.1))
    rc, out, err = cli(capsys, "restore", src, "--volume", "3d", "--iterations", "5", "--outdir", tmp_path / "out")
    assert rc == 0, err
    restored, meta = read_microscopy(tmp_path / "out" / "vol_histdip.tif")
    assert restored.shape == (8, 32, 32) and meta.axes == "ZYX" and meta.kind == "imagej"
    assert meta.pixel_size == pytest.approx({"X": 0.1, "Y": 0.1, "Z": dz})
    assert meta.spacing == pytest.approx((dz, 0.1, 0.1))
    record = json.loads((tmp_path / "out" / "vol_histdip.json").read_text())
    (volume,) = record["planes"]
    assert volume["volume"] == "3d" and volume["spacing_um"] == pytest.approx([dz, 0.1, 0.1])
    # 8 planes are fewer than the network's multiple: z is kept either way, and the
    # reason says which rule decided.
    assert volume["anisotropy"]["keep_z"] is keep_z
    assert ("z step 3x" in volume["anisotropy"]["reason"]) == (dz == 0.3)
    assert record["histdip_config"]["volume"] == "3d"
    for name in ("signal", "recording", "background"):
        assert (tmp_path / "out" / f"vol_histdip_{name}.tif").exists()
