"""The simulated bead volumes: shape, units, determinism, anisotropy, bad arguments."""

import numpy as np
import pytest

from histdip.errors import ConfigError
from histdip.simulate.volume import BEAD_DTYPE, simulate_volume


def test_shape_units_and_bead_list():
    v = simulate_volume((12, 48, 40), n_beads=6, seed=3)
    assert v.volume.shape == v.clean.shape == v.haze.shape == (12, 48, 40)
    assert v.volume.dtype == np.uint16 and v.clean.dtype == np.float32
    assert v.beads.dtype == BEAD_DTYPE and len(v.beads) == 6
    assert v.bead_voxels().shape == (6, 3)
    assert np.all((v.beads["z"] >= 0) & (v.beads["z"] < 12) & (v.beads["x"] < 40))
    # The clean volume peaks at the beads; the recording is offset + light + noise.
    centres = np.rint(v.bead_voxels()).astype(int)
    assert np.all(v.clean[tuple(centres.T)] > 0)
    peak = np.array(np.unravel_index(np.argmax(v.clean), v.clean.shape))
    assert np.min(np.linalg.norm(v.bead_voxels() - peak, axis=1)) < 2.0
    assert 80 < np.median(v.volume) < 130


def test_same_seed_same_volume_other_seed_other_volume():
    a, b = simulate_volume((8, 32, 32), seed=1), simulate_volume((8, 32, 32), seed=1)
    c = simulate_volume((8, 32, 32), seed=2)
    assert np.array_equal(a.volume, b.volume) and np.array_equal(a.beads, b.beads)
    assert not np.array_equal(a.volume, c.volume)


def test_a_coarser_z_step_makes_beads_fewer_planes_deep():
    fine = simulate_volume((32, 64, 64), spacing=(0.1, 0.1, 0.1), n_beads=1, seed=4)
    coarse = simulate_volume((32, 64, 64), spacing=(0.3, 0.1, 0.1), n_beads=1, seed=4)

    def depth(v):
        return int(np.sum(v.clean.max(axis=(1, 2)) > 0.5 * v.clean.max()))

    assert depth(coarse) < depth(fine)
    # The PSF is longer along z than across: in µm the bead is deeper than wide.
    z, y, x = np.unravel_index(np.argmax(fine.clean), fine.clean.shape)
    half = 0.5 * fine.clean.max()
    assert np.sum(fine.clean[:, y, x] > half) > np.sum(fine.clean[z, y, :] > half)


@pytest.mark.parametrize("kw", [{"shape": (0, 8, 8)}, {"shape": (8, 8)}, {"spacing": (0.1, 0.0, 0.1)}])
def test_bad_arguments_are_config_errors(kw):
    with pytest.raises(ConfigError):
        simulate_volume(**kw)
