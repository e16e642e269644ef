"""The shared stages' 1-D forms: noise, envelope, split with a known background, crops."""

import numpy as np
import torch

from histdip.config import RestoreConfig
from histdip.fit import TraceCrops
from histdip.networks import SkipNet
from histdip.noise import estimate_noise, estimate_trace_noise
from histdip.physics import build_physics
from histdip.prior import learn_split
from histdip.prior.envelope import trace_envelope


def test_trace_noise_ignores_drift_and_events():
    rng = np.random.default_rng(0)
    x = np.linspace(0, 20, 50000) + rng.normal(0, 0.5, 50000)
    x[1000:1100] += 30
    assert abs(estimate_noise(x).sigma - 0.5) < 0.02
    assert estimate_trace_noise(x).gain == 0


def test_trace_noise_sees_correlated_noise():
    rng = np.random.default_rng(1)
    white = rng.normal(0, 1, 100000)
    pairs = np.repeat(rng.normal(0, 1, 50000), 2)  # each value held for two samples
    assert estimate_trace_noise(white).sigma > 0.9
    assert estimate_trace_noise(pairs).sigma > 0.8  # second differences alone read ~0.6


def test_envelope_1d_stays_under_a_trace_full_of_events():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, 600)
    x[60:540] += 15  # events fill 80 % of the record, as a nanopore blockade does
    env = trace_envelope(x, 400.0)
    assert env.shape == x.shape and np.abs(env).max() < 0.6


def test_envelope_1d_follows_a_slow_drift():
    rng = np.random.default_rng(0)
    t = np.arange(40000)
    drift = 5 * np.sin(2 * np.pi * t / 20000)
    x = drift + rng.normal(0, 1, t.size)
    for s in range(500, 40000, 2000):
        x[s : s + 80] += 8
    assert np.mean(np.abs(trace_envelope(x, 400.0) - drift)) < 0.15


def test_split_with_a_known_background():
    rng = np.random.default_rng(0)
    d = rng.normal(0, 1, 20000)
    d[:16000] += 12  # the events are the mode
    free = learn_split(d)
    pinned = learn_split(d, background=(0.0, 1.0))
    assert pinned.gate(d)[:16000].mean() > 0.99  # read from the mode, the events would be background
    assert free.gate(d)[:16000].mean() < 0.5
    assert abs(pinned.centre) < 1e-12 and pinned.width == 1.0


def test_trace_crops_line_up_with_the_target():
    x = torch.arange(4096, dtype=torch.float32)[None, None]
    physics = build_physics("downsample", 2, "lanczos2", dims=1)
    target = physics(x)
    crops = TraceCrops(x, target, 1024, 3, 2, 4, seed=0, foreground=np.arange(4096) > 4000, foreground_share=1.0)
    inp, tgt, weight = crops(1)
    assert inp.shape == (3, 1, 1024) and tgt.shape == (3, 1, 512) and weight.shape == (3, 1, 512)
    assert (inp[:, 0, 0] >= 4096 - 1024 - 1).all()  # centred on the foreground: the last crop
    np.testing.assert_allclose(tgt[0, 0, 100:400], physics(inp[:1])[0, 0, 100:400], atol=1e-4)


def test_skipnet_1d_fits_a_crop():
    torch.manual_seed(0)
    net = SkipNet(1, 1, RestoreConfig().network, dims=1)
    assert net(torch.zeros(2, 1, 256)).shape == (2, 1, 256)
