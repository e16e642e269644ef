import numpy as np

from histdip.noise import GaussianNoise
from histdip.prior import decide_primary
from histdip.prior.primary import MIN_PEDESTAL


def test_uneven_haze_is_a_background_to_remove():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:160, :200]
    haze = 0.15 + 0.2 * np.exp(-((yy - 40) ** 2 + (xx - 150) ** 2) / (2 * 60.0 ** 2))
    img = haze + 0.01 * rng.standard_normal(haze.shape)
    img[50:56, 50:56] += 0.4
    c = decide_primary(img, GaussianNoise(0.01), 10.0)
    assert c.primary == "signal" and c.pedestal > MIN_PEDESTAL
    assert "background to remove" in c.reason


def test_a_dark_frame_with_specimen_keeps_the_recording():
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:160, :200]
    cells = 0.2 * (np.hypot(yy - 80, xx - 60) < 40) + 0.1 * (np.hypot(yy - 60, xx - 150) < 35)
    img = 0.02 + cells + 0.01 * rng.standard_normal(cells.shape)
    c = decide_primary(img, GaussianNoise(0.01), 10.0)
    assert c.primary == "recording" and c.pedestal < MIN_PEDESTAL
