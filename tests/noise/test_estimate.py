"""histdip.noise.estimate: the noise of one image, read off the image itself."""

import numpy as np
import pytest
from scipy import ndimage

from histdip.noise import PoissonGaussianNoise, estimate_noise, estimate_poisson_gaussian, noise_sigma, noise_variance_map


def _ramp_scene(shape=(256, 256)):
    """A smooth image covering 0.05-0.9 (no edges: the estimator's best case)."""
    return np.tile(np.linspace(0.05, 0.9, shape[1]), (shape[0], 1))


def _smooth_scene(shape=(256, 256), seed=0):
    field = ndimage.gaussian_filter(np.random.default_rng(seed).random(shape), 12)
    return 0.1 + 0.7 * (field - field.min()) / np.ptp(field)


@pytest.mark.parametrize("gain,sigma", [(0.01, 0.02), (0.004, 0.01)])
def test_the_line_fit_recovers_gain_and_sigma(gain, sigma):
    rng = np.random.default_rng(0)
    clean = _ramp_scene()
    noisy = gain * rng.poisson(clean / gain) + rng.normal(0, sigma, clean.shape)
    est = estimate_poisson_gaussian(noisy, clip_levels=())
    assert est["gain"] == pytest.approx(gain, rel=0.2)
    true_var = gain * 0.5 + sigma**2
    est_var = est["gain"] * (0.5 - est["offset"]) + est["sigma"] ** 2
    assert np.sqrt(est_var) == pytest.approx(np.sqrt(true_var), rel=0.1)


def test_the_line_fit_on_gaussian_noise_finds_no_gain():
    noisy = _ramp_scene() + np.random.default_rng(1).normal(0, 0.03, (256, 256))
    est = estimate_poisson_gaussian(noisy, clip_levels=())
    assert est["sigma"] == pytest.approx(0.03, rel=0.15) and est["gain"] < 0.002


def test_estimate_noise_follows_the_light():
    rng = np.random.default_rng(0)
    clean = _smooth_scene()
    noisy = 0.01 * rng.poisson(clean / 0.01) + rng.normal(0, 0.02, clean.shape)
    noise = estimate_noise(noisy)
    assert isinstance(noise, PoissonGaussianNoise)
    v = noise_variance_map(noisy)
    assert v.shape == noisy.shape
    assert v.mean() == pytest.approx((0.01 * clean + 0.02**2).mean(), rel=0.2)
    assert v[clean > 0.6].mean() > 1.5 * v[clean < 0.3].mean()  # brighter pixels are noisier
    assert noise_sigma(noisy) == pytest.approx(np.sqrt(v.mean()))


def test_a_colour_plane_gets_one_model_per_channel():
    rng = np.random.default_rng(2)
    clean = _smooth_scene((128, 128))
    planes = np.stack([clean + rng.normal(0, s, clean.shape) for s in (0.01, 0.03, 0.06)], -1)
    noise = estimate_noise(planes)
    assert len(noise.sigma) == 3
    v = noise.variance_map(planes)
    assert v.shape == planes.shape
    np.testing.assert_allclose(np.sqrt(v.mean(axis=(0, 1))), [0.01, 0.03, 0.06], rtol=0.25)
    np.testing.assert_array_equal(v[..., 1], noise_variance_map(planes[..., 1]))


@pytest.mark.parametrize("kind", ["interpolated", "blurred"])
def test_correlated_noise_is_found_after_binning(kind):
    """Noise correlated between neighbours (a camera that interpolates, or optics that blur
    it): a full-resolution high-pass estimate misses most of it; the estimate, fitted after
    2 x 2 binning, finds it."""
    rng = np.random.default_rng(1)
    clean = _smooth_scene((512, 512))
    if kind == "interpolated":
        noise = ndimage.zoom(rng.normal(0, 1, (256, 256)), 2, order=1)
    else:
        noise = ndimage.gaussian_filter(rng.normal(0, 1, (512, 512)), 0.7)
    noisy = clean + 0.05 * noise / noise.std()
    naive = estimate_poisson_gaussian(noisy, clip_levels=())
    assert naive["gain"] * (clean.mean() - naive["offset"]) + naive["sigma"] ** 2 < 0.5 * 0.05**2
    assert noise_variance_map(noisy).mean() == pytest.approx(0.05**2, rel=0.25)


@pytest.mark.parametrize("kind, ratio", [("blocks", 4.0), ("blur1", 0.5)])
def test_the_limits_of_binning_are_as_documented(kind, ratio):
    """Noise copied onto exact 2 x 2 blocks reads about 4x too high; noise blurred over
    sigma = 1 px about 2x too low (estimate_noise's docstring)."""
    rng = np.random.default_rng(3)
    clean = _smooth_scene((512, 512))
    if kind == "blocks":
        noise = np.kron(rng.normal(0, 1, (256, 256)), np.ones((2, 2)))
    else:
        noise = ndimage.gaussian_filter(rng.normal(0, 1, (512, 512)), 1.0)
    noisy = clean + 0.05 * noise / noise.std()
    assert noise_variance_map(noisy).mean() / 0.05**2 == pytest.approx(ratio, rel=0.4)
