import numpy as np
import pytest

from histdip.prior import learn_split
from histdip.prior.split import MIN_T_SIGMA


def _noise(seed, shape=(192, 192), sigma=2.0):
    return np.random.default_rng(seed).normal(0.0, sigma, shape)


def test_pure_noise_has_no_signal():
    s = learn_split(_noise(0))
    assert s.signal_share < 0.002
    assert s.background_share > 0.95
    assert abs(s.width - 2.0) < 0.1


def test_bright_sparse_objects_are_found_and_split_cleanly():
    d = _noise(1)
    d[:20, :20] += 40
    d[100:110, 50:90] += 25
    s = learn_split(d)
    truth = np.zeros(d.shape, bool)
    truth[:20, :20] = truth[100:110, 50:90] = True
    gate = s.gate(d)
    assert gate[truth].mean() > 0.97
    assert gate[~truth].mean() < 0.01  # noise beyond 3 sigma: 0.13% of pixels
    assert s.centre + MIN_T_SIGMA * s.width <= s.threshold <= 25


def test_the_split_does_not_collapse_on_dense_signal():
    # half the field covered by a spread of levels: neither all signal nor all background
    rng = np.random.default_rng(2)
    d = _noise(2)
    d[:96] += rng.exponential(12.0, (96, 192))
    s = learn_split(d)
    assert 0.3 < s.signal_share < 0.55
    assert abs(s.width - 2.0) < 0.3


def test_gate_is_monotone_and_bounded():
    d = _noise(3)
    d[:30, :30] += np.linspace(0, 30, 30)[None, :]
    s = learn_split(d)
    x = np.linspace(-20, 60, 400)
    g = s.gate(x)
    assert np.all(np.diff(g) >= 0) and g.min() >= 0 and g.max() <= 1


@pytest.mark.parametrize("offset", [-50.0, 0.0, 80.0])
def test_split_follows_an_offset(offset):
    d = _noise(4)
    d[:20, :20] += 40
    a, b = learn_split(d), learn_split(d + offset)
    assert b.threshold - a.threshold == pytest.approx(offset, abs=0.5)
    assert b.signal_share == pytest.approx(a.signal_share, abs=1e-3)


def test_the_multiscale_gate_finds_dim_beads_a_single_scale_misses():
    from histdip.prior import learn_split_multiscale

    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[:192, :192]
    beads = np.zeros((192, 192), bool)
    for y, x in [(40, 40), (40, 150), (150, 40), (150, 150), (96, 96)]:
        beads |= np.hypot(yy - y, xx - x) < 7
    grey = rng.normal(0.0, 10.0, beads.shape) + 15.0 * beads  # 1.5 sigma per pixel
    single = learn_split(grey)
    split, gate = learn_split_multiscale(grey, 0.0)
    assert single.gate(grey)[beads].mean() < 0.2
    assert gate[beads].mean() > 0.5
    from scipy import ndimage

    far = ndimage.distance_transform_edt(~beads) > 8  # beyond the coarsest scale's blur
    assert gate[far].mean() < 0.01
    assert split.signal_share == pytest.approx(float(gate.mean()))
