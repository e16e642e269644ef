"""restore_trace: layers that add up, the noise removed, polarity and baseline read."""

import numpy as np
import pytest

from histdip.config import RestoreConfig
from histdip.errors import InputError
from histdip.simulate.traces import simulate_trace
from histdip.trace import check_trace, detect_events, match_events, read_polarity, restore_trace, trace_baseline


@pytest.fixture(scope="module")
def dark():
    sim = simulate_trace(6000, snr=6.0, rate="moderate", polarity="dark", drift=3.0, seed=11)
    return sim, restore_trace(sim.trace)


def test_layers_add_up_to_the_trace(dark):
    sim, r = dark
    np.testing.assert_allclose(r.baseline + r.events + r.noise, sim.trace, atol=1e-9)
    assert r.restored.shape == sim.trace.shape and r.restored.dtype == np.float64


def test_dark_events_read_and_noise_removed(dark):
    sim, r = dark
    assert r.polarity == "dark" and r.polarity_source == "read from the trace"
    mse_raw = np.mean((sim.trace - sim.clean) ** 2)
    mse = np.mean((r.restored - sim.clean) ** 2)
    assert 10 * np.log10(mse_raw / mse) > 5.0
    assert np.all(r.events <= 1e-9)  # dark: events only below the baseline
    assert abs(r.sigma - 1.1) < 0.25  # white 1 + a share of the 1/f noise at the finest scale


def test_restored_events_are_found(dark):
    sim, r = dark
    found = detect_events(r.restored, 2.5 * r.sigma, polarity="dark", sigma=r.sigma)
    assert match_events(sim.events, found, 5)["f1"] > 0.8


def test_baseline_follows_the_drift_under_the_events(dark):
    sim, r = dark
    assert np.median(np.abs(r.baseline - sim.baseline)) < 0.5


def test_given_polarity_and_flat_baseline(dark):
    sim, _ = dark
    cfg = RestoreConfig().replace(polarity="bright", background="none", iterations=60)
    r = restore_trace(sim.trace, cfg)
    assert r.polarity == "bright" and r.polarity_source == "given"
    assert np.ptp(r.baseline) == 0
    assert r.iterations <= 60


def test_seeded_runs_repeat():
    x = simulate_trace(3000, snr=5.0, seed=2).trace
    cfg = RestoreConfig().replace(iterations=60)
    np.testing.assert_array_equal(restore_trace(x, cfg).restored, restore_trace(x, cfg).restored)


def test_noise_alone_stays_near_its_baseline():
    x = np.random.default_rng(0).normal(0, 1, 4000)
    r = restore_trace(x, RestoreConfig().replace(iterations=100))
    assert np.std(r.restored) < 0.3


def test_polarity_reader():
    sim = simulate_trace(8000, snr=6.0, polarity="bright", seed=4)
    assert read_polarity(sim.trace, 1.0) == "bright"
    assert read_polarity(-sim.trace, 1.0) == "dark"


def test_one_chance_sample_does_not_decide_the_polarity():
    # Two wide blockades, 8 and 6 sigma deep: the short running median follows them, so
    # beside it only the noise strays, once; the overall median then sees them below.
    x = np.random.default_rng(0).normal(0, 1, 5000)
    x[1000:1050] -= 8
    x[3000:3030] -= 6
    assert read_polarity(x, 1.0) == "dark" and read_polarity(-x, 1.0) == "bright"


def test_baseline_is_under_bright_events():
    x = np.zeros(3000)
    x[1000:1200] = 10.0
    b = trace_baseline(x + np.random.default_rng(0).normal(0, 0.5, x.size), 0.5, "bright")
    assert np.abs(b).max() < 0.5


@pytest.mark.parametrize("bad, needle", [(np.zeros(10), "10 samples"), (np.zeros((80, 2)), "1-D"),
                                         (np.r_[np.zeros(80), np.nan], "NaN"), (np.array(["a"] * 80), "numbers")])
def test_bad_arrays(bad, needle):
    with pytest.raises(InputError, match=needle):
        check_trace(bad)
