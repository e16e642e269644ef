"""The simulator's dim-regime parameters: haze_ratio, clip_fraction / clip_brightness,
and bead_peaks."""

import numpy as np
import pytest

from histdip.errors import ConfigError
from histdip.simulate import bead_peaks, simulate_scene

pytestmark = pytest.mark.unit

SHAPE = (128, 160)


def _scene(**kw):
    kw.setdefault("bead_size", (8.0, 14.0))
    kw.setdefault("n_beads", 10)
    return simulate_scene("beads", shape=SHAPE, seed=5, **kw)


def test_defaults_leave_the_scene_unchanged():
    a = _scene()
    b = _scene(haze_ratio=None, clip_fraction=0.0, clip_brightness=1.0)
    for name in ("clean", "expected", "noisy_rgb", "haze", "background"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.params["haze_ratio"] is None and a.params["clip_fraction"] == 0.0


@pytest.mark.parametrize("ratio", [0.5, 3.0])
def test_haze_ratio_sets_the_haze_level_against_the_bead_peak(ratio):
    base = _scene()
    s = _scene(haze_ratio=ratio)
    peak = np.median(bead_peaks(s.clean, s.beads))
    assert np.percentile(s.haze, 99) == pytest.approx(ratio * peak, rel=1e-3)
    # the same pattern, scaled
    k = s.haze.max() / base.haze.max()
    np.testing.assert_allclose(s.haze, k * base.haze, rtol=1e-4, atol=1e-7)
    np.testing.assert_array_equal(s.clean, base.clean)


def test_haze_ratio_zero_removes_the_haze_and_needs_beads():
    assert not _scene(haze_ratio=0.0).haze.any()
    with pytest.raises(ConfigError, match="at least one bead"):
        _scene(haze_ratio=1.0, n_beads=0)


def test_clip_fraction_raises_the_brightest_beads_to_full_scale():
    base = _scene(brightness=(0.05, 0.1))
    s = _scene(brightness=(0.05, 0.1), clip_fraction=0.2)
    peaks = bead_peaks(s.clean, s.beads)
    raised = np.argsort(-base.beads["brightness"])[:2]
    assert peaks[raised] == pytest.approx(1.0, abs=0.02)
    others = np.setdiff1d(np.arange(10), raised)
    np.testing.assert_allclose(s.beads["brightness"][others], base.beads["brightness"][others])
    np.testing.assert_array_equal(s.beads["y"], base.beads["y"])
    assert s.clean.max() <= 1.0
    lin = s.background + s.haze + s.clean
    assert (bead_peaks(lin, s.beads)[raised] >= 1.0).all()  # saturated in the photo
    assert (s.noisy[s.clean > 0.99] > 0.97).all()


def test_clip_raises_small_beads_to_their_peak_too():
    s = _scene(bead_size=(2.0, 4.0), n_beads=20, brightness=(0.05, 0.1), clip_fraction=0.1,
               clip_brightness=0.9)
    peaks = bead_peaks(s.clean, s.beads)
    assert (np.sort(peaks)[-2:] == pytest.approx(0.9, abs=0.02))


def test_bad_clip_settings():
    with pytest.raises(ConfigError, match="clip_fraction"):
        _scene(clip_fraction=1.5)
    with pytest.raises(ConfigError, match="clip_brightness"):
        _scene(clip_fraction=0.1, clip_brightness=0.0)


def test_bead_peaks():
    s = simulate_scene("beads", shape=SHAPE, seed=1, bead_size="large", n_beads=3, psf_sigma=1.0, bead_dome=0.0)
    peaks = bead_peaks(s.clean, s.beads)
    inside = (s.beads["y"] > 25) & (s.beads["y"] < SHAPE[0] - 25) & (s.beads["x"] > 25) & (s.beads["x"] < SHAPE[1] - 25)
    assert inside.any()
    # a large flat disc peaks at its brightness
    np.testing.assert_allclose(peaks[inside], s.beads["brightness"][inside], rtol=1e-3)
    assert bead_peaks(s.clean, s.beads[:0]).shape == (0,)
