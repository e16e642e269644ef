"""The one event detector and the matching of events."""

import numpy as np

from histdip.simulate.traces import EVENT_DTYPE
from histdip.trace import detect_events, match_events, runs


def test_runs_merge_and_drop():
    m = np.zeros(30, bool)
    m[2:5] = m[6:9] = True  # a gap of one sample
    m[20] = True  # a single sample
    s, e = runs(m, merge_gap=1, min_length=2)
    assert s.tolist() == [2] and e.tolist() == [8]
    s, e = runs(m)
    assert s.tolist() == [2, 6, 20]


def test_detects_steps_with_their_level():
    x = np.zeros(2000)
    x[300:400] = 5.0
    x[1000:1005] = -0.0
    x[1500:1520] = 3.0
    found = detect_events(x + np.random.default_rng(0).normal(0, 0.2, x.size), 1.0, sigma=0.2)
    assert len(found) == 2
    assert abs(found["amplitude"][0] - 5.0) < 0.3 and found["start"][0] in range(298, 303)


def test_dark_events():
    x = np.zeros(1000)
    x[200:260] = -4.0
    assert len(detect_events(x, 1.0, polarity="dark", sigma=0.1)) == 1
    # Read as bright, the baseline is the blockade's level and the open pore the events.
    assert detect_events(x, 1.0, polarity="bright", sigma=0.1)["start"].tolist() == [0, 260]


def test_match_one_to_one():
    true = np.array([(100, 150, 120, 5.0, "step"), (400, 405, 402, 5.0, "pulse")], dtype=EVENT_DTYPE)
    found = np.array([(102, 149, 120, 5.0), (110, 130, 120, 5.0), (700, 705, 702, 1.0)],
                     dtype=[("start", "i8"), ("end", "i8"), ("peak", "i8"), ("amplitude", "f8")])
    m = match_events(true, found, 5)
    assert (m["tp"], m["fp"], m["fn"]) == (1, 2, 1)
    assert m["pairs"] == [(0, 0)]
    assert abs(m["f1"] - 2 / 5) < 1e-12
