"""histdip.simulate.stats: the calibration statistics measure what they say."""

import numpy as np
import pytest
from scipy import ndimage as ndi

from histdip.simulate import simulate_scene
from histdip.simulate.stats import STAT_NAMES, noise_autocorrelation, noise_sigma, photo_stats


def test_noise_sigma_and_autocorrelation_of_known_noise():
    rng = np.random.default_rng(0)
    white = 50 + 4.0 * rng.standard_normal((256, 256))
    everywhere = np.ones(white.shape, bool)
    # The 2-px high-pass keeps most of white noise's variance: close to 4, never above.
    assert 3.0 < noise_sigma(white, everywhere) <= 4.0
    assert abs(noise_autocorrelation(white, everywhere)) < 0.05
    correlated = 50 + ndi.gaussian_filter(4.0 * rng.standard_normal((256, 256)), 1.0)
    assert noise_autocorrelation(correlated, everywhere) > 0.5


def test_photo_stats_on_a_simulated_photo():
    st = photo_stats(simulate_scene(shape=(256, 192), seed=0, bead_size="points").noisy_rgb)
    assert set(st) == set(STAT_NAMES)
    assert 0 < st["noise"] < 10 and st["contrast"] > 20 and st["r_over_g"] < 1


def test_photo_stats_noise_follows_the_noise_level():
    low, high = (photo_stats(simulate_scene(shape=(256, 192), seed=0, bead_size="small", noise_level=level,
                                            jpeg_quality=None).noisy_rgb)["noise"] for level in (1.0, 3.0))
    assert high / low == pytest.approx(3.0, rel=0.3)


def test_photo_stats_refuses_a_grey_image():
    with pytest.raises(ValueError, match="RGB"):
        photo_stats(np.zeros((64, 64), np.uint8))
