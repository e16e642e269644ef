"""Tests of the competitor methods in histdip.peers (small synthetic images).

Scenes are 64x64 piecewise-constant images with additive Gaussian noise sigma 0.1
(input PSNR about 20 dB). Each denoiser must raise PSNR over the noisy input by a
stated margin; the margins sit a few dB below what each method reaches here so that
they test "it denoises", not a particular library version.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from histdip.errors import ConfigError, InputError
from histdip.peers import (
    PEERS,
    PeerStatus,
    available_peers,
    bm3d_available,
    careamics_status,
    denoise_care,
    denoise_classical_pipeline,
    denoise_gaussian,
    denoise_n2v,
    denoise_zsn2n,
    estimate_poisson_gaussian,
    gat_forward,
    gat_inverse,
)
from histdip.peers.classical import cv2_gaussian_sigma

HAS_BM3D, WHY_NO_BM3D = bm3d_available()
needs_bm3d = pytest.mark.skipif(not HAS_BM3D, reason=WHY_NO_BM3D or "bm3d missing")

NOISE = 0.1


def scene(background: float = 0.1) -> np.ndarray:
    """64x64: a 32x32 square at 0.7 and a radius-12 disk at 0.45 on a flat background."""
    yy, xx = np.mgrid[:64, :64]
    x = np.full((64, 64), float(background))
    x[8:40, 8:40] = 0.7
    x[(yy - 44) ** 2 + (xx - 44) ** 2 <= 12 ** 2] = 0.45
    return x


def noisy(clean: np.ndarray, seed: int = 0) -> np.ndarray:
    return clean + np.random.default_rng(seed).normal(0.0, NOISE, clean.shape)


def psnr(a: np.ndarray, ref: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((np.asarray(a, np.float64) - ref) ** 2)))


# ------------------------------------------------------------------ registry, contract
def test_registry_and_available_peers():
    expected = {"identity", "gaussian", "median", "nlm", "bm3d", "bm3d_vst",
                "classical_pipeline", "zsn2n", "n2v", "care"}
    assert expected <= set(PEERS)
    assert all(callable(f) for f in PEERS.values())
    status = available_peers()
    assert set(status) == set(PEERS)
    assert all(isinstance(s, PeerStatus) for s in status.values())
    for name in ("identity", "gaussian", "median", "nlm", "zsn2n"):
        assert status[name].available, status[name].reason
    assert status["bm3d"].available == HAS_BM3D
    for name, s in status.items():
        if not s.available:
            assert s.reason, f"{name} unavailable without a reason"


def test_available_peers_reports_missing_careamics_env(tmp_path):
    status = available_peers(careamics_env=tmp_path / "nope")
    assert not status["n2v"].available and not status["care"].available
    assert "nope" in status["n2v"].reason and "ensure_env" in status["n2v"].reason


FAST_PEERS = ["identity", "gaussian", "median", "nlm", "classical_pipeline"] + (
    ["bm3d", "bm3d_vst"] if HAS_BM3D else [])


@pytest.mark.parametrize("name", FAST_PEERS)
def test_contract_shape_dtype_range_no_mutation_determinism(name):
    clean = np.zeros((40, 56))
    clean[10:30, 12:40] = 0.6
    img = noisy(clean, seed=3)
    before = img.copy()
    out = PEERS[name](img, seed=0)
    assert out.shape == img.shape and out.dtype == np.float32
    assert np.all(np.isfinite(out)) and out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_array_equal(img, before)  # input untouched
    again = PEERS[name](img, seed=0)
    if name.startswith("bm3d") or name == "classical_pipeline":
        # the bm3d binary differs between calls by float32 rounding (~1e-7)
        np.testing.assert_allclose(out, again, atol=1e-5)
    else:
        np.testing.assert_array_equal(out, again)
    # integer and float32 inputs are accepted
    assert PEERS[name](img.astype(np.float32), seed=0).shape == img.shape


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3)), np.zeros(16), np.full((8, 8), np.nan)])
def test_bad_input_raises_input_error(bad):
    with pytest.raises(InputError):
        PEERS["median"](bad)


# ------------------------------------------------------------------ classical peers
@pytest.mark.parametrize("name, params, margin_db", [
    ("gaussian", {}, 1.5),            # reaches ~ +2.5 dB (edges blur)
    ("median", {"size": 3}, 4.0),     # ~ +6 dB
    ("median", {"size": 5}, 4.0),     # ~ +6.5 dB
    ("nlm", {}, 8.0),                 # ~ +12 dB
    pytest.param("bm3d", {}, 10.0, marks=needs_bm3d),      # ~ +14.5 dB
    pytest.param("bm3d_vst", {}, 8.0, marks=needs_bm3d),   # ~ +14.5 dB
])
def test_classical_denoisers_raise_psnr(name, params, margin_db):
    clean = scene(0.1)
    img = noisy(clean)
    gain = psnr(PEERS[name](img, **params), clean) - psnr(img, clean)
    assert gain > margin_db, f"{name}: +{gain:.2f} dB, expected > {margin_db}"


def test_gaussian_matches_opencv_rule():
    assert cv2_gaussian_sigma(11) == pytest.approx(2.0)
    assert cv2_gaussian_sigma(3) == pytest.approx(0.8)
    rng = np.random.default_rng(1)
    x = rng.random((23, 31))
    # reference: OpenCV's sampled, normalised 11-tap kernel, separable, BORDER_REFLECT_101
    k = np.exp(-np.arange(-5, 6) ** 2 / (2 * 2.0 ** 2))
    k /= k.sum()
    pad = np.pad(x, 5, mode="reflect")  # numpy "reflect" == OpenCV REFLECT_101
    rows = np.stack([np.convolve(r, k, mode="valid") for r in pad])
    ref = np.stack([np.convolve(c, k, mode="valid") for c in rows.T]).T
    np.testing.assert_allclose(denoise_gaussian(x), ref.astype(np.float32), atol=1e-6)
    try:
        import cv2
    except ImportError:
        return
    np.testing.assert_allclose(denoise_gaussian(x), cv2.GaussianBlur(x, (11, 11), 0),
                               atol=1e-6)


def test_classical_pipeline_removes_uneven_background():
    """Dark-field scene + smooth background ramp: output is the objects on zero."""
    clean = scene(0.0)
    ramp = np.linspace(0.0, 0.15, 64)[None, :] * np.ones((64, 1))
    img = noisy(clean + ramp)
    out = denoise_classical_pipeline(img, denoise="nlm")
    far = np.ones_like(clean, dtype=bool)
    far[4:44, 4:44] = False
    far[28:60, 28:60] = False
    assert np.all(out[far] == 0.0)                       # background zeroed
    assert abs(out[14:34, 14:34].mean() - 0.7) < 0.08     # square kept at its level
    gain = psnr(out, clean) - psnr(img, clean)
    assert gain > 10.0, f"+{gain:.2f} dB"                  # ~ +15.5 dB here
    with pytest.raises(ConfigError):
        denoise_classical_pipeline(img, background="bogus")
    with pytest.raises(ConfigError):
        denoise_classical_pipeline(img, threshold="bogus")


@needs_bm3d
def test_classical_pipeline_default_bm3d_dark_scene():
    clean = scene(0.0)
    img = noisy(clean)
    gain = psnr(denoise_classical_pipeline(img), clean) - psnr(img, clean)
    assert gain > 10.0, f"+{gain:.2f} dB"  # ~ +13.5 dB


# ------------------------------------------------------------------ GAT / VST
def test_gat_forward_is_anscombe_for_unit_gain():
    z = np.array([0.0, 1.0, 5.0, 100.0])
    np.testing.assert_allclose(gat_forward(z), 2 * np.sqrt(z + 3 / 8))
    assert gat_inverse(gat_forward(0.0)) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ConfigError):
        gat_forward(z, alpha=0.0)


@pytest.mark.parametrize("counts", [1.0, 5.0, 20.0, 100.0])
def test_gat_inverse_is_unbiased_on_poisson_gaussian_expectation(counts):
    """inverse(E[forward(z)]) recovers E[z] (Monte Carlo over 200k samples)."""
    alpha, sigma, mu = 0.01, 0.02, 0.05
    rng = np.random.default_rng(int(counts))
    z = alpha * rng.poisson(counts, 200_000) + rng.normal(mu, sigma, 200_000)
    ef = gat_forward(z, alpha, sigma, mu).mean()
    target = alpha * counts + mu
    est = gat_inverse(ef, alpha, sigma, mu)
    naive = alpha * ((ef / 2) ** 2 - 3 / 8) - sigma ** 2 / alpha + mu  # algebraic inverse
    assert abs(est - target) < 0.06 * alpha          # within 0.06 photo-electrons
    assert abs(est - target) < 0.35 * abs(naive - target)


def test_gat_round_trip_of_noise_free_values_is_close():
    y = np.linspace(0.05, 1.0, 20)
    back = gat_inverse(gat_forward(y, 0.01, 0.01), 0.01, 0.01)
    np.testing.assert_allclose(back, y, atol=0.01 * 0.5)  # bias < half a photo-electron


def test_estimate_poisson_gaussian_recovers_parameters():
    alpha, sigma = 0.005, 0.02
    ramp = np.tile(np.linspace(0.05, 0.9, 128), (128, 1))
    rng = np.random.default_rng(0)
    z = alpha * rng.poisson(ramp / alpha) + rng.normal(0, sigma, ramp.shape)
    a_est, s_est = estimate_poisson_gaussian(z)
    assert 0.6 * alpha < a_est < 1.5 * alpha
    assert 0.6 * sigma < s_est < 1.5 * sigma


# ------------------------------------------------------------------ ZS-N2N
def test_zsn2n_short_run_raises_psnr():
    clean = scene(0.1)
    img = noisy(clean)
    t0 = time.perf_counter()
    out = denoise_zsn2n(img, seed=0, iterations=200, threads=1)
    took = time.perf_counter() - t0
    assert out.shape == img.shape and out.dtype == np.float32
    gain = psnr(out, clean) - psnr(img, clean)
    assert gain > 5.0, f"+{gain:.2f} dB in {took:.1f} s"  # ~ +9 dB after 200 iterations


def test_zsn2n_deterministic_given_seed_and_leaves_global_rng():
    import torch

    img = noisy(scene(0.1))[:32, :32]
    torch.manual_seed(123)
    before = torch.rand(1).item()
    torch.manual_seed(123)
    a = denoise_zsn2n(img, seed=7, iterations=15, threads=1)
    after = torch.rand(1).item()
    assert before == after  # global RNG stream not disturbed
    b = denoise_zsn2n(img, seed=7, iterations=15, threads=1)
    c = denoise_zsn2n(img, seed=8, iterations=15, threads=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    with pytest.raises(ConfigError):
        denoise_zsn2n(np.zeros((3, 3)))


# ------------------------------------------------------------------ CAREamics peers
def test_careamics_peers_fail_clearly_without_env(tmp_path):
    img = noisy(scene(0.0))
    with pytest.raises(ConfigError, match="ensure_env"):
        denoise_n2v(img, env=tmp_path / "missing")
    with pytest.raises(ConfigError, match="train_noisy"):
        denoise_care(img, env=tmp_path / "missing")


HAS_CAREAMICS, WHY_NO_CAREAMICS = careamics_status()
needs_careamics = pytest.mark.skipif(not HAS_CAREAMICS,
                                     reason=f"CAREamics env not built: {WHY_NO_CAREAMICS}")


@pytest.mark.slow
@needs_careamics
def test_n2v_runs_in_separate_env():
    img = noisy(scene(0.1))
    meta: dict = {}
    out = denoise_n2v(img, seed=0, epochs=1, repeat=1, batch_size=4, patch_size=32,
                      val_patches=1, threads=2, meta=meta)
    assert out.shape == img.shape and out.dtype == np.float32
    assert np.all(np.isfinite(out))
    assert meta.get("careamics") and meta.get("algorithm") == "n2v"


@pytest.mark.slow
@needs_careamics
def test_care_trains_on_given_pairs():
    clean = scene(0.1)
    pairs_clean = np.stack([clean, clean[::-1], clean[:, ::-1]])
    pairs_noisy = np.stack([noisy(c, seed=i + 10) for i, c in enumerate(pairs_clean)])
    out = denoise_care(noisy(clean), seed=0, train_noisy=pairs_noisy,
                       train_clean=pairs_clean, epochs=1, batch_size=4, patch_size=32,
                       val_patches=1, threads=2)
    assert out.shape == clean.shape and out.dtype == np.float32


def test_peers_noise_estimate_sees_noise_correlated_between_neighbours():
    # Noise interpolated 2x (as demosaicing or JPEG leave it) has almost nothing at the
    # finest wavelet scale: the wavelet estimate reads it as nearly noise-free, and a
    # denoiser given that sigma does nothing.
    from scipy import ndimage
    from skimage.restoration import estimate_sigma

    from histdip.noise import noise_sigma
    from histdip.peers.classical import denoise_nlm

    rng = np.random.default_rng(0)
    z = 0.4 + ndimage.zoom(rng.normal(0, 0.05, (64, 64)), 2, order=1)
    true = z.std()
    assert 0.8 * true < noise_sigma(z) < 1.25 * true
    assert estimate_sigma(z) < 0.2 * true
    assert denoise_nlm(z).std() < 0.7 * true
