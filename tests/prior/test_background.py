"""histdip.prior.background: the smooth glow goes, the objects stay; the radius follows the objects."""

import numpy as np
import pytest
from scipy import ndimage

from histdip.errors import ConfigError, InputError
from histdip.prior import AUTO_RADIUS, auto_background_radius, estimate_background, object_radius, subtract_background


def glow_with_beads(h=96, w=128, seed=0, radius=4):
    """A bright corner glow (the smartphone photos' uneven background) plus dim beads."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    glow = 0.15 + 0.45 * np.exp(-((yy - h) ** 2 + xx**2) / (2 * 45.0**2))
    beads = np.zeros((h, w))
    for cy, cx in [(20, 100), (30, 30), (70, 90), (80, 20), (50, 60)]:
        beads += 0.3 * (np.hypot(yy - cy, xx - cx) < radius)
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


def test_object_radius_is_the_inscribed_disc_of_the_larger_objects():
    yy, xx = np.mgrid[:80, :80]
    discs = 200.0 * ((np.hypot(yy - 20, xx - 20) < 4) | (np.hypot(yy - 55, xx - 50) < 9))
    assert object_radius(discs, 100.0, percentile=100) == pytest.approx(9, abs=0.6)
    assert object_radius(np.zeros((16, 16)), 100.0) is None


@pytest.mark.parametrize("radius", [3, 6])
def test_the_automatic_radius_grows_with_the_objects_within_its_bounds(radius):
    img, _, _ = glow_with_beads(radius=radius)
    found = auto_background_radius(img, smooth=1.0)
    assert AUTO_RADIUS["smallest"] <= found <= AUTO_RADIUS["largest"]
    assert found == pytest.approx(max(AUTO_RADIUS["smallest"], AUTO_RADIUS["factor"] * radius), rel=0.35)
    flat = np.full((64, 64), 0.3)
    assert auto_background_radius(flat) == AUTO_RADIUS["fallback"]  # nothing found
