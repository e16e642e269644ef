"""histdip.prior.stage: the threshold prior as one stage, from an image's planes."""

import numpy as np
import pytest

from histdip.errors import NoSignalError
from histdip.planes import read_planes
from histdip.prior import threshold_prior


def test_t_lives_on_the_bt601_grey_whatever_plane_is_fitted():
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[..., 1] = 100
    rgb[4:8, 4:8, 1] = 250
    planes = read_planes(rgb, channel="green")
    prior = threshold_prior(planes, threshold=100.0)
    np.testing.assert_allclose(prior.grey, 0.587 * rgb[..., 1])
    assert prior.mask.sum() == 16 and prior.background_radius is None
    np.testing.assert_array_equal(prior.signal(planes), rgb[..., 1] / 255.0)


def test_16_bit_maps_to_0_255():
    planes = read_planes(np.tile(np.array([0, 65535], np.uint16), (8, 4)))
    np.testing.assert_allclose(threshold_prior(planes, threshold=1.0).grey[0, :2], [0, 255])


def test_a_grey_image_subtracts_its_background_once():
    rng = np.random.default_rng(0)
    img = np.clip(0.2 + 0.05 * rng.random((64, 64)), 0, 1)
    img[20:26, 20:26] = 0.9
    planes = read_planes(img)
    prior = threshold_prior(planes, threshold="yen", background="rolling-ball", background_radius=10, smooth=1.0)
    assert prior.signal(planes) is prior.background_luma  # the luma is the fitted plane
    assert prior.grey.max() < 255 * 0.75  # the background is gone from the grey too
    assert prior.describe_grey() == ("BT.601 grey on 0-255, rolling-ball background of 10 px subtracted, "
                                     "smoothed over 1 px")


@pytest.mark.parametrize("t, background, zeroes", [(0.0, "none", False), (10.0, "none", True),
                                                   (0.0, "rolling-ball", True)])
def test_whether_the_target_zeroes_recorded_light_follows_from_the_prior(t, background, zeroes):
    img = np.zeros((32, 32))
    img[8:16, 8:16] = 0.8
    img[0, 0] = 0.0  # clipped black: outside a T = 0 mask, yet nothing recorded is lost
    prior = threshold_prior(read_planes(img), threshold=t, background=background, background_radius=8)
    assert prior.zeroes_recording is zeroes


def test_an_empty_mask_says_on_which_grey_t_was_applied():
    planes = read_planes(np.full((32, 32), 0.1))
    prior = threshold_prior(planes, threshold=143.0)
    with pytest.raises(NoSignalError, match=r"T = 143 on the BT.601 grey on 0-255: nothing to restore"):
        prior.target(prior.signal(planes))
    sub = threshold_prior(planes, threshold=143.0, background="tophat", background_radius=5)
    with pytest.raises(NoSignalError, match="--background none to threshold the raw grey"):
        sub.target(sub.signal(planes))


def test_with_a_background_the_threshold_finds_the_beads_not_the_glow():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:96, :128]
    glow = 0.15 + 0.45 * np.exp(-((yy - 96) ** 2 + xx**2) / (2 * 45.0**2))
    beads = np.zeros((96, 128), bool)
    for cy, cx in [(20, 100), (30, 30), (70, 90), (80, 20), (50, 60)]:
        beads |= np.hypot(yy - cy, xx - cx) < 4
    img = np.clip(glow + 0.3 * beads + rng.normal(0, 0.01, glow.shape), 0, 1)
    planes = read_planes(img)
    raw = threshold_prior(planes, threshold="otsu")
    corrected = threshold_prior(planes, threshold="otsu", background="rolling-ball", background_radius=15)
    assert raw.mask[~beads].mean() > 0.1  # on the raw grey Otsu splits glow from not-glow
    assert corrected.mask[beads].mean() > 0.9 and corrected.mask[~beads].mean() < 0.02
    target = corrected.target(corrected.signal(planes))
    assert target[~corrected.mask].max() == 0 and 0.2 < target[beads].mean() < 0.4  # offset-free
