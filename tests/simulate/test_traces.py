"""Simulated sensor traces: the events listed are the events drawn."""

import numpy as np
import pytest

from histdip.simulate.traces import RATES, pink_noise, simulate_trace


def test_events_match_the_signal():
    sim = simulate_trace(20000, snr=5.0, rate="moderate", seed=3)
    assert len(sim.events) > 10 and set(sim.events["shape"]) == {"step", "pulse"}
    for ev in sim.events:
        seg = sim.signal[ev["start"] : ev["end"] + 1]
        assert seg.min() >= 0.5 * ev["amplitude"] - 1e-9
        assert abs(sim.signal[ev["peak"]] - ev["amplitude"]) < 0.02 * ev["amplitude"]
        assert 3.75 - 1e-9 <= ev["amplitude"] <= 6.25 + 1e-9
    np.testing.assert_allclose(sim.clean, sim.baseline + sim.signal)
    assert np.all(np.diff(sim.events["start"]) > 0)
    assert np.all(sim.events["start"][1:] > sim.events["end"][:-1])  # never overlapping


def test_dark_events_go_down_and_noise_has_unit_white_sigma():
    sim = simulate_trace(20000, snr=5.0, polarity="dark", pink=0.0, drift=0.0, seed=1)
    assert sim.signal.max() <= 0 and sim.signal.min() < -3
    assert abs(np.std(sim.trace - sim.clean) - 1.0) < 0.03


def test_rates_go_from_sparse_to_crowded():
    counts = [len(simulate_trace(20000, rate=r, seed=0).events) for r in ("sparse", "moderate", "crowded")]
    assert counts[0] < counts[1] < counts[2]
    assert RATES["crowded"] > RATES["sparse"]


def test_seeded():
    a, b = simulate_trace(3000, seed=5), simulate_trace(3000, seed=5)
    np.testing.assert_array_equal(a.trace, b.trace)
    assert not np.array_equal(a.trace, simulate_trace(3000, seed=6).trace)


def test_pink_noise_power_falls_with_frequency():
    x = pink_noise(2 ** 16, np.random.default_rng(0))
    p = np.abs(np.fft.rfft(x)) ** 2
    assert abs(x.std() - 1) < 1e-9
    assert p[10:100].mean() > 20 * p[10000:20000].mean()


@pytest.mark.parametrize("shapes", [("step",), ("pulse",)])
def test_one_shape(shapes):
    assert set(simulate_trace(10000, shapes=shapes, seed=2).events["shape"]) == set(shapes)
