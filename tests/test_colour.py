"""histdip.colour: grey conversion, the signal's channel, and what counts as a colour photo."""

import numpy as np
import pytest

from histdip.colour import BT601, auto_channel, is_colour_photo, luma, own_content, select_channel
from histdip.errors import ConfigError, InputError


def _green_beads():
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 1] = 10
    rgb[1:3, 1:3, 1] = 200
    rgb[..., 0] = 3
    return rgb


def test_luma_uses_bt601_and_auto_picks_green():
    rgb = _green_beads()
    assert luma(rgb)[0, 0] == pytest.approx(0.299 * 3 + 0.587 * 10)
    assert luma(np.full((2, 2, 3), 255, np.uint8))[0, 0] == pytest.approx(255.0)  # weights sum to 1
    assert auto_channel(rgb) == 1
    np.testing.assert_array_equal(select_channel(rgb, "auto"), rgb[..., 1])
    np.testing.assert_array_equal(select_channel(rgb, "2"), rgb[..., 2])
    with pytest.raises(ConfigError):
        select_channel(rgb, 5)


def test_luma_ignores_alpha_and_passes_grey_through():
    rgba = np.dstack([_green_beads(), np.full((4, 4), 255, np.uint8)])
    np.testing.assert_allclose(luma(rgba), luma(_green_beads()))
    grey = np.arange(16, dtype=np.uint8).reshape(4, 4)
    out = luma(grey)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, grey)


def test_auto_channel_follows_the_signal_not_the_background():
    rng = np.random.default_rng(0)
    rgb = np.zeros((32, 32, 3))
    rgb[..., 0] = 120 + rng.normal(0, 2, (32, 32))  # bright but flat: background only
    rgb[..., 2] = 10 + rng.normal(0, 2, (32, 32))
    rgb[4:8, 4:8, 2] = 90  # dim background, bright spots
    assert auto_channel(rgb) == 2


@pytest.mark.parametrize("name, index", [("red", 0), ("green", 1), ("blue", 2), ("0", 0), ("1", 1), (2, 2),
                                         ("GREEN", 1)])
def test_select_channel_by_name_or_index(name, index):
    rgb = np.random.default_rng(1).random((8, 8, 3))
    out = select_channel(rgb, name)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, rgb[..., index])


def test_select_channel_luma_rgb_and_grey():
    rgb = _green_beads()
    np.testing.assert_allclose(select_channel(rgb, "luma"), rgb.astype(float) @ BT601)
    np.testing.assert_array_equal(select_channel(np.dstack([rgb, rgb[..., :1]]), "rgb"), rgb)
    two = np.random.default_rng(2).random((8, 8, 2))
    np.testing.assert_array_equal(select_channel(two, "luma"), two[..., 0])  # no colour to weigh
    grey = np.arange(64.0).reshape(8, 8)
    for channel in ("auto", "rgb", "blue", 7):  # a grey image ignores the setting
        np.testing.assert_array_equal(select_channel(grey, channel), grey)


@pytest.mark.parametrize("image, channel, error, needle", [
    (np.zeros((8, 8, 3)), "magenta", ConfigError, "unknown channel 'magenta'"),
    (np.zeros((8, 8, 3)), "-1", ConfigError, "unknown channel"),
    (np.zeros((8, 8, 3)), 3, ConfigError, "only 3 channel(s)"),
    (np.zeros((8, 8, 2)), "blue", ConfigError, "only 2 channel(s)"),
    (np.zeros((8, 8, 2)), "rgb", ConfigError, "needs a colour image"),
    (np.zeros((2, 8, 8, 3)), "auto", InputError, "shape (2, 8, 8, 3)"),
])
def test_select_channel_errors(image, channel, error, needle):
    with pytest.raises(error) as info:
        select_channel(image, channel)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_own_content_is_zero_for_a_function_of_the_reference_and_high_for_noise():
    rng = np.random.default_rng(0)
    green = rng.random((64, 64))
    own = rng.random((64, 64))
    assert own_content(np.stack([own, green, own], -1), 0, 1) > 0.9
    assert own_content(np.stack([green ** 2, green, green], -1), 0, 1) < 0.01  # a lookup table
    assert own_content(np.stack([np.full_like(green, 3.0), green, green], -1), 0, 1) == 0.0  # constant
    mixed = own_content(np.stack([green + own, green, green], -1), 0, 1)
    assert 0.3 < mixed < 0.7  # half its variance is its own


def test_a_colour_photo_has_two_planes_with_content_of_their_own():
    rng = np.random.default_rng(0)
    green = np.clip(0.1 + 0.05 * rng.standard_normal((64, 64)), 0, 1)
    own = np.clip(0.05 + 0.02 * rng.standard_normal((64, 64)), 0, 1)  # noise of its own
    assert is_colour_photo(np.stack([own, green, 0.5 * own], -1))
    other = np.clip(0.05 + 0.02 * rng.standard_normal((64, 64)), 0, 1)
    assert is_colour_photo(np.stack([own, green, other, np.ones_like(green)], -1))  # alpha ignored
    assert own_content(np.stack([own, green, own], -1), 0, 1) > 0.9
    # not a photo: a 2-D frame, a grey frame saved as RGB, one channel in an RGB file,
    # a frame through a colour lookup table (each plane a function of one grey), two planes
    g8 = (255 * green).astype(np.uint8)
    fire = np.stack([np.clip(2 * g8.astype(int), 0, 255), g8, np.clip(g8.astype(int) - 20, 0, 255) * 3], -1)
    for frame in (green, np.stack([g8] * 3, -1), np.stack([0 * g8, g8, 0 * g8], -1), fire.astype(np.uint8),
                  np.stack([own, green], -1)):
        assert not is_colour_photo(frame)
    assert own_content(np.stack([g8, g8, g8], -1), 0, 1) == 0.0


def test_a_large_photo_is_judged_on_a_subsample_the_same_way():
    rng = np.random.default_rng(3)
    green = rng.random((1100, 1100))
    assert is_colour_photo(np.stack([rng.random(green.shape), green, rng.random(green.shape)], -1))
    assert not is_colour_photo(np.stack([green] * 3, -1))
