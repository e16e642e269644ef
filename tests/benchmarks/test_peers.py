"""Tests of the competitor methods in benchmarks.peers (small synthetic images).

Scenes are 64x64 piecewise-constant images with additive Gaussian noise sigma 0.1
(input PSNR about 20 dB). Each denoiser must raise PSNR over the noisy input by a
stated margin; the margins sit a few dB below what each method reaches here so that
they test "it denoises", not a particular library version.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from benchmarks.peers import (
    PEERS,
    PeerStatus,
    available_peers,
    bm3d_available,
    careamics_status,
    denoise_bm3d_vst,
    denoise_care,
    denoise_classical_pipeline,
    denoise_gaussian,
    denoise_n2v,
    denoise_zsn2n,
    gat_parameters,
)
from benchmarks.peers.careamics import DEFAULT_ENV, ENV_VAR, resolve_env
from benchmarks.peers.classical import cv2_gaussian_sigma
from histdip.errors import ConfigError, InputError

pytestmark = pytest.mark.unit

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
    assert "nope" in status["n2v"].reason and "make careamics-env" in status["n2v"].reason


def test_careamics_env_is_found_by_variable_or_at_the_checkouts_root(tmp_path, monkeypatch):
    import benchmarks

    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_env() == Path(benchmarks.__file__).resolve().parents[1] / DEFAULT_ENV
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert resolve_env() == tmp_path / "env"
    assert resolve_env(tmp_path / "given") == tmp_path / "given"
    (tmp_path / "env" / "bin").mkdir(parents=True)
    (tmp_path / "env" / "bin" / "python").touch()  # an interpreter but no marker: unfinished
    ok, why = careamics_status()
    assert not ok and "unfinished" in why and "make careamics-env" in why


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


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3)), np.zeros(16), np.full((8, 8), np.nan), np.zeros((1, 8)),
                                 np.full((8, 8), 200.0), np.array([["a", "b"], ["c", "d"]])])
def test_bad_input_raises_input_error(bad):
    # Colour, 1-D, non-finite, a single row, data on another scale (0-255), text.
    with pytest.raises(InputError):
        PEERS["median"](bad)


def test_noisy_unit_data_a_little_outside_zero_one_is_accepted():
    img = noisy(scene(0.0))  # Gaussian noise takes the dark background below 0
    assert img.min() < 0
    assert PEERS["median"](img).min() == 0.0


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


# ------------------------------------------------------------------ VST
@needs_bm3d
def test_bm3d_vst_refuses_negative_noise_parameters():
    img = noisy(scene(0.1))
    with pytest.raises(ConfigError, match="alpha"):
        denoise_bm3d_vst(img, alpha=-0.01, sigma=0.1)
    with pytest.raises(ConfigError, match="sigma"):
        denoise_bm3d_vst(img, alpha=0.01, sigma=-0.1)


def test_gat_parameters_recover_the_noise():
    alpha, sigma = 0.005, 0.02
    ramp = np.tile(np.linspace(0.05, 0.9, 128), (128, 1))
    rng = np.random.default_rng(0)
    z = alpha * rng.poisson(ramp / alpha) + rng.normal(0, sigma, ramp.shape)
    a_est, s_est = gat_parameters(z)
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
    with pytest.raises(ConfigError, match="make careamics-env"):
        denoise_n2v(img, env=tmp_path / "missing")
    with pytest.raises(ConfigError, match="train_noisy"):
        denoise_care(img, env=tmp_path / "missing")


def test_peers_noise_estimate_sees_noise_correlated_between_neighbours():
    # Noise interpolated 2x (as demosaicing or JPEG leave it) has almost nothing at the
    # finest wavelet scale: the wavelet estimate reads it as nearly noise-free, and a
    # denoiser given that sigma does nothing.
    from scipy import ndimage
    from skimage.restoration import estimate_sigma

    from benchmarks.peers.classical import denoise_nlm
    from histdip.noise import noise_sigma

    rng = np.random.default_rng(0)
    z = 0.4 + ndimage.zoom(rng.normal(0, 0.05, (64, 64)), 2, order=1)
    true = z.std()
    assert 0.8 * true < noise_sigma(z) < 1.25 * true
    assert estimate_sigma(z) < 0.2 * true
    assert denoise_nlm(z).std() < 0.7 * true
