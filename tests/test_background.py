"""Background subtraction: the smooth glow goes, the objects stay; the prior uses it."""

import numpy as np
import pytest
from scipy import ndimage

import histdip
from histdip.background import estimate_background, subtract_background
from histdip.errors import ConfigError, InputError


def glow_with_beads(h=96, w=128, seed=0):
    """A bright corner glow (the smartphone photos' uneven background) plus dim beads."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    glow = 0.15 + 0.45 * np.exp(-((yy - h) ** 2 + xx**2) / (2 * 45.0**2))
    beads = np.zeros((h, w))
    centres = [(20, 100), (30, 30), (70, 90), (80, 20), (50, 60)]
    for cy, cx in centres:
        beads += 0.3 * (np.hypot(yy - cy, xx - cx) < 4)
    noisy = np.clip(glow + beads + rng.normal(0, 0.01, glow.shape), 0, 1)
    return noisy, glow, beads > 0


@pytest.mark.parametrize("method", ["rolling-ball", "tophat"])
def test_background_follows_the_glow_not_the_beads(method):
    img, glow, beads = glow_with_beads()
    bg = estimate_background(img, method, radius=15)
    away = ~ndimage.binary_dilation(beads, iterations=6)
    assert np.abs(bg - glow)[away].mean() < 0.02
    # Under a bead the background stays at the glow, so the bead survives subtraction.
    assert (img - bg)[beads].mean() > 0.25


def test_subtracted_image_is_non_negative_and_keeps_colour_planes_apart():
    img, _, _ = glow_with_beads()
    rgb = np.stack([0.2 * img, img, np.zeros_like(img)], -1)
    out = subtract_background(rgb, "rolling-ball", 15)
    assert out.shape == rgb.shape and out.min() >= 0
    np.testing.assert_allclose(out[..., 1], subtract_background(img, "rolling-ball", 15))
    assert np.all(out[..., 2] == 0)


def test_none_is_zero_and_bad_arguments_say_why():
    img, _, _ = glow_with_beads()
    assert not estimate_background(img, "none").any()
    with pytest.raises(ConfigError, match="unknown background method"):
        estimate_background(img, "ball")
    with pytest.raises(ConfigError, match="radius"):
        estimate_background(img, radius=0)
    with pytest.raises(InputError, match="2-D"):
        estimate_background(np.zeros(5))


def test_prior_with_background_thresholds_the_beads_not_the_glow():
    img, _, beads = glow_with_beads()
    raw = histdip.restore_detailed(img, method="threshold", threshold="otsu", background="none")
    corrected = histdip.restore_detailed(img, method="threshold", threshold="otsu",
                                         background="rolling-ball", background_radius=15)
    # On the raw image Otsu's threshold splits glow from not-glow: the glow is kept.
    assert raw.mask[~beads].mean() > 0.1
    # After subtraction it finds the beads and little else.
    assert corrected.mask[beads].mean() > 0.9 and corrected.mask[~beads].mean() < 0.02
    # The output is the background-subtracted signal inside the mask, offset-free.
    assert corrected.image[~corrected.mask].max() == 0
    assert 0.2 < corrected.image[beads].mean() < 0.4


def test_dip_ablation_ignores_the_background_setting():
    img, _, _ = glow_with_beads(64, 64)
    few = dict(iterations=3, stopping={"rule": "fixed"}, patch_size=None)
    a = histdip.restore(img, method="dip", **few)
    b = histdip.restore(img, method="dip", background="rolling-ball", **few)
    np.testing.assert_array_equal(a, b)
