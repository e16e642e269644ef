"""The brightfield simulator: absorbing objects, uneven field, halo, noise, seeds."""

import numpy as np
import pytest

from histdip.errors import ConfigError
from histdip.simulate import simulate_brightfield
from histdip.simulate.brightfield import halo_ring


def test_objects_absorb_on_an_uneven_bright_field():
    s = simulate_brightfield((128, 128), seed=0, noise_level=0)
    assert s.noisy_rgb.shape == (128, 128, 3) and s.noisy_rgb.dtype == np.uint8
    assert len(s.beads) > 0 and s.support.any()
    inside = s.clean[s.support] / s.illumination[s.support]
    assert inside.mean() < 0.8  # Beer-Lambert: the objects transmit less than the field
    assert np.all(s.signal >= 0) and s.signal[s.support].mean() > 0.1
    assert s.illumination.std() / s.illumination.mean() > 0.03  # uneven illumination
    rgb = s.noisy_rgb.reshape(-1, 3).mean(0)
    assert rgb[0] > rgb[1] > 2 * rgb[2]  # the yellow cast of the real photos


def test_halo_is_a_bright_ring_just_outside_objects():
    density = np.zeros((64, 64))
    yy, xx = np.mgrid[:64, :64]
    density[np.hypot(yy - 32, xx - 32) <= 8] = 1.0
    ring = halo_ring(density, 1.5)
    d = np.hypot(yy - 32, xx - 32)
    assert ring[(d > 9) & (d < 12)].mean() > 10 * ring[d < 5].mean()
    s = simulate_brightfield((96, 96), seed=1, noise_level=0, halo=0.3)
    outside = (s.clean > s.illumination * 1.001)
    assert outside.any() and not (outside & s.support).all()


def test_seeded_and_noise_scales():
    a, b = simulate_brightfield((64, 64), seed=5), simulate_brightfield((64, 64), seed=5)
    assert np.array_equal(a.noisy_rgb, b.noisy_rgb) and np.array_equal(a.beads, b.beads)
    assert not np.array_equal(a.noisy_rgb, simulate_brightfield((64, 64), seed=6).noisy_rgb)
    quiet = simulate_brightfield((96, 96), seed=3, noise_level=0.5, jpeg_quality=None)
    loud = simulate_brightfield((96, 96), seed=3, noise_level=2.0, jpeg_quality=None)
    assert np.std(loud.noisy - loud.clean) > 2.5 * np.std(quiet.noisy - quiet.clean)


def test_grey_frame_and_bad_settings():
    g = simulate_brightfield((64, 64), seed=0, grey=True)
    assert g.noisy_rgb.shape == (64, 64)
    with pytest.raises(ConfigError, match="unknown brightfield setting"):
        simulate_brightfield((64, 64), wobble=1)
    with pytest.raises(ConfigError, match="at least 32"):
        simulate_brightfield((16, 64))
