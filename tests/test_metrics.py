"""histdip.metrics: PSNR, SSIM, the affine fit, CNR and SDNR against hand-computed values."""

import math

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from histdip import metrics
from histdip.errors import InputError

# ------------------------------------------------------------------ PSNR / SSIM

def test_psnr_constant_offset_is_20_db():
    ref = np.full((16, 16), 0.5)
    assert metrics.psnr(ref + 0.1, ref) == pytest.approx(20.0, abs=1e-9)  # MSE 0.01, peak 1


def test_psnr_uint8_uses_peak_255():
    ref = np.full((16, 16, 3), 100, np.uint8)
    # MSE = 10**2 = 100 -> 10 log10(255**2 / 100) = 20 log10(25.5)
    assert metrics.psnr(ref + 10, ref) == pytest.approx(20 * math.log10(25.5), abs=1e-9)
    assert metrics.psnr(ref + 10, ref, data_range=100) == pytest.approx(20.0, abs=1e-9)


def test_psnr_identical_is_inf_and_matches_skimage():
    rng = np.random.default_rng(0)
    ref = rng.random((20, 30))
    out = np.clip(ref + rng.normal(0, 0.05, ref.shape), 0, 1)
    assert metrics.psnr(ref, ref) == math.inf
    assert metrics.psnr(out, ref) == pytest.approx(peak_signal_noise_ratio(ref, out, data_range=1.0), rel=1e-12)


def test_ssim_identity_and_degradation():
    rng = np.random.default_rng(1)
    ref = rng.random((32, 32))
    assert metrics.ssim(ref, ref) == pytest.approx(1.0, abs=1e-12)
    assert metrics.ssim(np.clip(ref + rng.normal(0, 0.3, ref.shape), 0, 1), ref) < 0.75
    rgb = (rng.random((32, 32, 3)) * 255).astype(np.uint8)
    assert metrics.ssim(rgb, rgb, channel_axis=-1) == pytest.approx(1.0, abs=1e-12)


def test_full_reference_errors():
    with pytest.raises(InputError, match="shapes differ"):
        metrics.psnr(np.zeros((8, 8)), np.zeros((8, 9)))
    with pytest.raises(InputError, match="data_range"):
        metrics.psnr(np.zeros((8, 8)), np.full((8, 8), 3.0))  # float outside [0, 1]: scale unknown
    with pytest.raises(InputError, match="NaN"):
        metrics.psnr(np.full((8, 8), np.nan), np.zeros((8, 8)))
    with pytest.raises(InputError, match="SSIM"):
        metrics.ssim(np.zeros((4, 4)), np.zeros((4, 4)))  # smaller than the 7x7 window


def test_default_data_range_by_dtype():
    assert metrics.default_data_range(np.zeros(4, np.uint8)) == 255.0
    assert metrics.default_data_range(np.zeros(4, np.uint16)) == 65535.0
    assert metrics.default_data_range(np.zeros(4, np.int16)) == 65535.0  # the span, not the max
    assert metrics.default_data_range(np.zeros(4, bool)) == 1.0
    assert metrics.default_data_range(np.array([0.0, 1.0])) == 1.0
    with pytest.raises(InputError, match="data_range"):
        metrics.default_data_range(np.array([-0.5, 0.5]))


@pytest.mark.parametrize("restored, reference, needle", [
    (np.full((8, 8), np.nan), np.zeros((8, 8)), "restored image contains NaN"),
    (np.zeros((8, 8)), np.full((8, 8), np.inf), "reference contains NaN or infinite"),
    (np.zeros((8, 8), complex), np.zeros((8, 8)), "restored image has unsupported data type"),
    (np.zeros((2, 8, 8, 1)), np.zeros((2, 8, 8, 1)), "restored image must be"),
    (np.zeros((0, 8)), np.zeros((0, 8)), "restored image is empty"),
])
def test_input_errors_name_the_argument_in_one_line(restored, reference, needle):
    with pytest.raises(InputError, match=needle) as info:
        metrics.psnr(restored, reference, data_range=1.0)
    assert "\n" not in str(info.value)


def test_data_range_must_be_positive():
    with pytest.raises(InputError, match="data_range must be positive"):
        metrics.psnr(np.zeros((8, 8)), np.zeros((8, 8)), data_range=0)


# ------------------------------------------------------------------ affine-fair

def test_fit_affine_recovers_gain_and_offset():
    rng = np.random.default_rng(2)
    x = rng.random((24, 24))
    a, b = metrics.fit_affine(x, 2.5 * x - 0.3)
    assert a == pytest.approx(2.5, abs=1e-12)
    assert b == pytest.approx(-0.3, abs=1e-12)
    assert metrics.fit_affine(np.ones((8, 8)), np.full((8, 8), 0.7)) == (0.0, pytest.approx(0.7))


def test_affine_fair_scores_forgive_scale_only():
    rng = np.random.default_rng(3)
    ref = rng.random((32, 32))
    dim = 0.5 * ref + 0.1  # right structure, wrong scale
    assert metrics.psnr(dim, ref) < 20
    assert metrics.psnr(dim, ref, affine=True) > 200  # exact up to rounding
    assert metrics.ssim(dim, ref, affine=True) == pytest.approx(1.0, abs=1e-9)
    noisy = np.clip(ref + rng.normal(0, 0.1, ref.shape), 0, 1)
    assert metrics.psnr(noisy, ref, affine=True) >= metrics.psnr(noisy, ref)  # LS never worse in MSE


# ------------------------------------------------------------------ CNR / SDNR

def _regions_image():
    # signal pixels 10, 14 (mean 12, std 2); background 1, 3, 1, 3 (mean 2, std 1)
    img = np.array([[10, 14, 1, 3], [0, 0, 1, 3]], float)
    sig = np.array([[1, 1, 0, 0], [0, 0, 0, 0]])
    bg = np.array([[0, 0, 1, 1], [0, 0, 1, 1]])
    return img, sig, bg


def test_cnr_sdnr_hand_computed():
    img, sig, bg = _regions_image()
    assert metrics.cnr(img, sig, bg) == pytest.approx(10.0)  # |12 - 2| / 1
    assert metrics.sdnr(img, sig, bg) == pytest.approx(10 / math.sqrt(2.5))  # / sqrt((4 + 1) / 2)


def test_cnr_sdnr_zero_noise_and_errors():
    img, sig, bg = _regions_image()
    flat = np.where(bg != 0, 2.0, img)
    assert metrics.cnr(flat, sig, bg) == math.inf
    assert metrics.cnr(np.full((2, 4), 5.0), sig, bg) == 0.0
    assert metrics.sdnr(np.full((2, 4), 5.0), sig, bg) == 0.0
    with pytest.raises(InputError, match="signal region is empty"):
        metrics.cnr(img, np.zeros_like(sig), bg)
    with pytest.raises(InputError, match="shape"):
        metrics.sdnr(img, sig[:, :3], bg)
    with pytest.raises(InputError, match="overlap"):
        metrics.cnr(img, sig, np.ones_like(bg))
    with pytest.raises(InputError, match=r"one plane.*must be \(H, W\)"):
        metrics.cnr(np.stack([img] * 3, -1), sig, bg)
