import numpy as np
import pytest

from histdip.color import auto_channel, is_colour_photo, luma, own_content, select_channel
from histdip.errors import ConfigError, NoSignalError
from histdip.prior import foreground_mask, gray_for_threshold, masked_target, threshold_report, threshold_value


def bimodal(n_dark=900, n_bright=100, dark=20, bright=200):
    return np.r_[np.full(n_dark, float(dark)), np.full(n_bright, float(bright))]


def test_manual_threshold_is_returned_as_is_and_mask_is_strict():
    gray = np.array([[49.0, 50.0], [51.0, 255.0]])
    assert threshold_value(gray, 50) == 50.0
    assert threshold_value(gray, "50") == 50.0
    np.testing.assert_array_equal(foreground_mask(gray, 50), [[False, False], [True, True]])


@pytest.mark.parametrize("rule", ["otsu", "triangle", "li", "yen"])
def test_automatic_rules_fall_between_the_two_modes(rule):
    rng = np.random.default_rng(0)
    gray = bimodal() + rng.normal(0, 2, 1000)
    t = threshold_value(gray, rule)
    assert 20 < t < 200  # strictly between the modes
    # Every bright pixel is kept; Yen, the most liberal rule, lets in < 5 % of the dark ones.
    assert 0.1 <= threshold_report(gray, rule)["foreground_fraction"] < 0.15


def test_otsu_of_a_two_level_histogram_is_the_midpoint_bin():
    # Otsu on two equal spikes at 20 and 200: any T in [20, 200) separates them; with
    # skimage's 256-bin histogram the chosen bin centre lies between the spikes.
    t = threshold_value(bimodal(500, 500), "otsu")
    assert 20 <= t < 200
    assert foreground_mask(bimodal(500, 500), t).sum() == 500


def test_percentile_rule():
    gray = np.arange(101, dtype=float)
    assert threshold_value(gray, "percentile:90") == pytest.approx(90.0)


@pytest.mark.parametrize("bad", [-1, 256, "bogus", "percentile:x"])
def test_bad_threshold_gives_config_error(bad):
    with pytest.raises((ConfigError, ValueError)):
        threshold_value(np.zeros(10), bad)


def test_hysteresis_keeps_dim_parts_joined_to_bright_ones_only():
    gray = np.zeros((12, 20))
    gray[5, 2:10] = 60.0          # a dim arm ...
    gray[5, 2] = 200.0            # ... whose end passes T
    gray[4:7, 14:17] = 60.0       # a dim blob on its own
    gray[9, 9] = 60.0             # diagonal neighbour of nothing bright
    gray[6, 10] = 60.0            # diagonal to the arm's last pixel: joined (8-connectivity)
    one = foreground_mask(gray, 100)
    two = foreground_mask(gray, 100, low=50)
    assert one.sum() == 1
    expected = np.zeros_like(one)
    expected[5, 2:10] = True
    expected[6, 10] = True
    np.testing.assert_array_equal(two, expected)
    # A low T at or above T, or nothing above T, changes nothing.
    np.testing.assert_array_equal(foreground_mask(gray, 100, low=100), one)
    np.testing.assert_array_equal(foreground_mask(gray, 100, low=150), one)
    assert not foreground_mask(gray, 250, low=50).any()
    # The speck filter and the growth act on the hysteresis mask.
    assert foreground_mask(gray, 100, low=50, min_size=10).sum() == 0
    assert foreground_mask(gray, 100, low=50, grow=1).sum() > two.sum()
    report = threshold_report(gray, 100, low=50)
    assert report["threshold_low"] == 50 and report["foreground_fraction"] == pytest.approx(9 / gray.size)


def test_masked_target_zeroes_background_without_rescaling():
    signal = np.array([[0.2, 0.8], [0.5, 0.9]])
    mask = np.array([[False, True], [False, True]])
    np.testing.assert_array_equal(masked_target(signal, mask), [[0, 0.8], [0, 0.9]])
    rgb = np.dstack([signal] * 3)
    assert masked_target(rgb, mask)[0, 1, 2] == 0.8
    with pytest.raises(NoSignalError):
        masked_target(signal, np.zeros_like(mask))


def test_luma_uses_bt601_and_auto_picks_green():
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 1] = 10
    rgb[1:3, 1:3, 1] = 200
    rgb[..., 0] = 3
    assert luma(rgb)[0, 0] == pytest.approx(0.299 * 3 + 0.587 * 10)
    assert auto_channel(rgb) == 1
    np.testing.assert_array_equal(select_channel(rgb, "auto"), rgb[..., 1])
    np.testing.assert_array_equal(select_channel(rgb, "2"), rgb[..., 2])
    with pytest.raises(ConfigError):
        select_channel(rgb, 5)


def test_gray_for_threshold_maps_16_bit_to_0_255_and_colour_to_luma():
    img = np.array([[0, 65535]], np.uint16)
    np.testing.assert_allclose(gray_for_threshold(img), [[0, 255]])
    rgb = np.zeros((1, 1, 3), np.uint8)
    rgb[..., 1] = 100
    assert gray_for_threshold(rgb)[0, 0] == pytest.approx(58.7)


def test_mask_drops_specks_then_grows_by_whole_pixels():
    from histdip.prior import foreground_mask

    gray = np.zeros((20, 20))
    gray[5:10, 5:10] = 200   # an object of 25 pixels
    gray[15, 15] = 200       # a one-pixel noise peak
    assert foreground_mask(gray, 100).sum() == 26
    kept = foreground_mask(gray, 100, min_size=4)
    assert kept.sum() == 25 and not kept[15, 15]
    grown = foreground_mask(gray, 100, min_size=4, grow=2)
    assert grown.sum() == 9 * 9 and grown[3:12, 3:12].all()


def test_restore_uses_the_configured_mask_options():
    import histdip

    gray = np.zeros((32, 32), np.uint8)
    gray[8:16, 8:16] = 200
    gray[25, 25] = 200
    r = histdip.restore_detailed(gray, method="threshold", threshold=100, background="none",
                                 mask_min_size=4, mask_grow=1, threshold_smooth=0.0)
    assert not r.mask[25, 25] and r.mask[7:17, 7:17].all() and r.mask.sum() == 100


def test_a_colour_photo_has_two_planes_with_content_of_their_own():
    rng = np.random.default_rng(0)
    green = np.clip(0.1 + 0.05 * rng.standard_normal((64, 64)), 0, 1)
    own = np.clip(0.05 + 0.02 * rng.standard_normal((64, 64)), 0, 1)  # noise of its own
    assert is_colour_photo(np.stack([own, green, 0.5 * own], -1))
    assert own_content(np.stack([own, green, own], -1), 0, 1) > 0.9
    # not a photo: a 2-D frame, a grey frame saved as RGB, one channel in an RGB file,
    # and a frame through a colour lookup table (each plane a function of one grey)
    g8 = (255 * green).astype(np.uint8)
    fire = np.stack([np.clip(2 * g8.astype(int), 0, 255), g8, np.clip(g8.astype(int) - 20, 0, 255) * 3], -1)
    for frame in (green, np.stack([g8] * 3, -1), np.stack([0 * g8, g8, 0 * g8], -1), fire.astype(np.uint8)):
        assert not is_colour_photo(frame)
    assert own_content(np.stack([g8, g8, g8], -1), 0, 1) == 0.0
