"""The CAREamics peers (Noise2Void, CARE) in their own environment: skipped, with the
reason, where ``make careamics-env`` has not built it; slow where it has (~20 s each)."""

import numpy as np
import pytest

from benchmarks.peers import careamics_status, denoise_care, denoise_n2v

HAS_CAREAMICS, WHY_NO_CAREAMICS = careamics_status()
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not HAS_CAREAMICS, reason=f"CAREamics env not built: {WHY_NO_CAREAMICS}")]


def _pair(seed):
    clean = np.full((64, 64), 0.1)
    clean[8:40, 8:40] = 0.7
    return clean + np.random.default_rng(seed).normal(0.0, 0.1, clean.shape), clean


def test_n2v_runs_in_separate_env():
    img, _ = _pair(0)
    meta: dict = {}
    out = denoise_n2v(img, seed=0, epochs=1, repeat=1, batch_size=4, patch_size=32,
                      val_patches=1, threads=2, meta=meta)
    assert out.shape == img.shape and out.dtype == np.float32
    assert np.all(np.isfinite(out))
    assert meta.get("careamics") and meta.get("algorithm") == "n2v"


def test_care_trains_on_given_pairs():
    pairs = [_pair(seed) for seed in (10, 11, 12)]
    img, clean = _pair(0)
    out = denoise_care(img, seed=0, train_noisy=np.stack([p[0] for p in pairs]),
                       train_clean=np.stack([p[1] for p in pairs]), epochs=1, batch_size=4, patch_size=32,
                       val_patches=1, threads=2)
    assert out.shape == clean.shape and out.dtype == np.float32
