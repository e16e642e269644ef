"""histdip.simulate.camera: Poisson-Gaussian noise of the designed variance."""

import numpy as np
import pytest

from histdip.simulate.camera import effective_noise, jpeg_roundtrip, noise_residual, sharpen, to_uint8


def test_effective_noise_scales_the_standard_deviation():
    photons, read = effective_noise(1000.0, 0.01, 2.0)
    assert (photons, read) == (250.0, 0.02)
    assert effective_noise(1000.0, 0.01, 0.0) == (np.inf, 0.0)


@pytest.mark.parametrize("corr_sigma", [0.0, 1.5])
def test_noise_residual_has_the_poisson_gaussian_variance(corr_sigma):
    rng = np.random.default_rng(0)
    expected = np.full((256, 256), 0.4)
    res = noise_residual(rng, expected, photons=200.0, read=0.02, corr_sigma=corr_sigma)
    # smoothing correlates the noise but is rescaled to keep the per-pixel variance
    assert res.var() == pytest.approx(0.4 / 200 + 0.02 ** 2, rel=0.1)
    assert abs(res.mean()) < 0.005
    ac1 = np.corrcoef(res[:, :-1].ravel(), res[:, 1:].ravel())[0, 1]
    assert (ac1 > 0.5) if corr_sigma else (abs(ac1) < 0.05)


def test_noise_residual_without_photons_is_zero():
    assert not noise_residual(np.random.default_rng(0), np.ones((8, 8)), np.inf, 0.0).any()


def test_sharpen_to_uint8_and_jpeg():
    step = np.zeros((16, 16))
    step[:, 8:] = 0.5
    assert sharpen(step, 0.0) is step
    sharp = sharpen(step, 1.0)
    assert sharp[:, 7].min() < 0 and sharp[:, 8].max() > 0.5  # overshoot on both sides of the edge
    np.testing.assert_array_equal(to_uint8(np.array([-0.2, 0.5, 1.3])), [0, 128, 255])
    rgb = np.full((16, 16, 3), 100, np.uint8)
    assert jpeg_roundtrip(rgb, None) is rgb
    back = jpeg_roundtrip(rgb, 90)
    assert back.shape == rgb.shape and np.abs(back.astype(int) - 100).max() <= 2
