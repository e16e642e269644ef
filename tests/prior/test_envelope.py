import numpy as np
import pytest

from histdip.errors import ConfigError, InputError
from histdip.noise import GaussianNoise
from histdip.prior import estimate_background, lower_envelope


def _hazy(rng, shape=(160, 200), sigma=0.01):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    haze = 0.2 + 0.15 * np.exp(-((yy - 60) ** 2 + (xx - 140) ** 2) / (2 * 50.0 ** 2))
    beads = np.zeros(shape)
    for y, x in [(30, 40), (80, 100), (120, 160), (40, 150)]:
        beads += 0.5 * (np.hypot(yy - y, xx - x) < 6)
    return haze, beads, haze + beads + sigma * rng.standard_normal(shape)


def test_envelope_follows_the_haze_under_and_between_beads():
    rng = np.random.default_rng(1)
    haze, beads, img = _hazy(rng)
    env = lower_envelope(img, 12.0, noise=GaussianNoise(0.01))
    # within a fraction of the noise of the haze everywhere, bead discs included
    assert np.abs(env - haze).max() < 0.02
    assert abs(np.mean(env - haze)) < 0.004
    # the beads stand clear of it
    assert (img - env)[beads > 0].mean() > 0.45


def test_envelope_is_not_the_noise_minimum():
    # a clip without tolerance would sit several sigma low; this one stays at the mean
    rng = np.random.default_rng(2)
    img = 0.3 + 0.02 * rng.standard_normal((128, 128))
    env = lower_envelope(img, 10.0)
    assert abs(float(env.mean()) - 0.3) < 0.005


def test_envelope_keeps_a_ramp_at_the_edges():
    ramp = np.tile(np.linspace(0.1, 0.5, 128), (96, 1))
    env = lower_envelope(ramp, 16.0, noise=GaussianNoise(0.005))
    assert np.abs(env - ramp).max() < 0.01


def test_envelope_through_estimate_background():
    rng = np.random.default_rng(3)
    haze, _, img = _hazy(rng)
    assert np.allclose(estimate_background(img, "envelope", 12.0), lower_envelope(img, 12.0))


@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros((1, 10))])
def test_envelope_refuses_non_images(bad):
    with pytest.raises(InputError):
        lower_envelope(bad, 5.0)


def test_envelope_refuses_bad_scale():
    with pytest.raises(ConfigError):
        lower_envelope(np.zeros((16, 16)), 0.0)
