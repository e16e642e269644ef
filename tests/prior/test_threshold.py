"""histdip.prior.threshold: T on the 0-255 grey, the strict mask, the masked target."""

import numpy as np
import pytest

from histdip.errors import ConfigError, NoSignalError
from histdip.prior import foreground_mask, masked_target, threshold_value


def bimodal(n_dark=900, n_bright=100, dark=20, bright=200):
    return np.r_[np.full(n_dark, float(dark)), np.full(n_bright, float(bright))]


def test_manual_threshold_is_returned_as_is_and_mask_is_strict():
    grey = np.array([[49.0, 50.0], [51.0, 255.0]])
    assert threshold_value(grey, 50) == 50.0
    assert threshold_value(grey, "50") == 50.0
    np.testing.assert_array_equal(foreground_mask(grey, 50), [[False, False], [True, True]])


@pytest.mark.parametrize("rule", ["otsu", "triangle", "li", "yen"])
def test_automatic_rules_fall_between_the_two_modes(rule):
    rng = np.random.default_rng(0)
    grey = bimodal() + rng.normal(0, 2, 1000)
    t = threshold_value(grey, rule)
    assert 20 < t < 200  # strictly between the modes
    # Every bright pixel is kept; Yen, the most liberal rule, lets in < 5 % of the dark ones.
    assert 0.1 <= foreground_mask(grey, t).mean() < 0.15


def test_otsu_of_a_two_level_histogram_separates_the_levels():
    t = threshold_value(bimodal(500, 500), "otsu")
    assert 20 <= t < 200
    assert foreground_mask(bimodal(500, 500), t).sum() == 500


def test_percentile_rule_and_a_constant_image():
    assert threshold_value(np.arange(101, dtype=float), "percentile:90") == pytest.approx(90.0)
    assert threshold_value(np.full(10, 7.0), "yen") == 7.0  # nothing above: the mask is empty


@pytest.mark.parametrize("bad", [-1, 256, "bogus", "percentile:x"])
def test_bad_threshold_gives_config_error(bad):
    with pytest.raises((ConfigError, ValueError)):
        threshold_value(np.zeros(10), bad)


def test_hysteresis_keeps_dim_parts_joined_to_bright_ones_only():
    grey = np.zeros((12, 20))
    grey[5, 2:10] = 60.0          # a dim arm ...
    grey[5, 2] = 200.0            # ... whose end passes T
    grey[4:7, 14:17] = 60.0       # a dim blob on its own
    grey[9, 9] = 60.0             # diagonal neighbour of nothing bright
    grey[6, 10] = 60.0            # diagonal to the arm's last pixel: joined (8-connectivity)
    one = foreground_mask(grey, 100)
    two = foreground_mask(grey, 100, low=50)
    assert one.sum() == 1
    expected = np.zeros_like(one)
    expected[5, 2:10] = True
    expected[6, 10] = True
    np.testing.assert_array_equal(two, expected)
    # A low T at or above T, or nothing above T, changes nothing.
    np.testing.assert_array_equal(foreground_mask(grey, 100, low=100), one)
    np.testing.assert_array_equal(foreground_mask(grey, 100, low=150), one)
    assert not foreground_mask(grey, 250, low=50).any()
    # The speck filter and the growth act on the hysteresis mask.
    assert foreground_mask(grey, 100, low=50, min_size=10).sum() == 0
    assert foreground_mask(grey, 100, low=50, grow=1).sum() > two.sum()


def test_mask_drops_specks_then_grows_by_whole_pixels():
    grey = np.zeros((20, 20))
    grey[5:10, 5:10] = 200   # an object of 25 pixels
    grey[15, 15] = 200       # a one-pixel noise peak
    assert foreground_mask(grey, 100).sum() == 26
    kept = foreground_mask(grey, 100, min_size=4)
    assert kept.sum() == 25 and not kept[15, 15]
    grown = foreground_mask(grey, 100, min_size=4, grow=2)
    assert grown.sum() == 9 * 9 and grown[3:12, 3:12].all()


def test_masked_target_zeroes_background_without_rescaling():
    signal = np.array([[0.2, 0.8], [0.5, 0.9]])
    mask = np.array([[False, True], [False, True]])
    np.testing.assert_array_equal(masked_target(signal, mask), [[0, 0.8], [0, 0.9]])
    rgb = np.dstack([signal] * 3)
    assert masked_target(rgb, mask)[0, 1, 2] == 0.8
    with pytest.raises(NoSignalError):
        masked_target(signal, np.zeros_like(mask))
