"""``python -m benchmarks traces``: the sweep's pieces, its quick run, the nanopore reader."""

import numpy as np
import pytest

from benchmarks import nanopore
from benchmarks.__main__ import main
from benchmarks.traces import PEERS, scene, sweep_tables, tune


def test_peers_keep_length_and_smooth():
    x = np.random.default_rng(0).normal(0, 1, 5000)
    for name, setting in (("median", 9), ("savgol", 21), ("wavelet", 1.0)):
        y = PEERS[name](x, setting)
        assert y.shape == x.shape and np.std(y) < 0.6, name


def test_tuning_picks_the_best_mean_f1():
    rows = [{"snr": 3.0, "scores": {("histdip", None, 1.0): (0.2, 0, 0), ("histdip", None, 2.0): (0.9, 0, 0),
                                    ("raw", None, 1.0): (0.5, 0, 0), ("median", 5, 2.0): (0.4, 0, 0),
                                    ("median", 9, 2.0): (0.6, 0, 0), ("savgol", 7, 1.0): (0.3, 0, 0),
                                    ("wavelet", 0.5, 1.0): (0.95, 0, 0)}}]
    chosen = tune(rows)
    assert chosen["histdip"] == (None, 2.0) and chosen["median"] == (9, 2.0)
    f1_table, _ = sweep_tables(rows, chosen)
    assert "| 3 | 1 | 0.900 | 0.500 | 0.600 | 0.300 | 0.950 | no |" in f1_table


def test_scenes_alternate_polarity():
    assert scene(3.0, "sparse", 100, 3000).polarity == "bright"
    assert scene(3.0, "sparse", 101, 3000).polarity == "dark"


@pytest.mark.slow  # about 40 s on a busy 2-core machine
def test_quick_run_writes_its_table(tmp_path, capsys):
    doc = tmp_path / "results.md"
    doc.write_text("## Sensor traces\n\n<!-- results:traces -->\n<!-- /results:traces -->\n")
    assert main(["traces", "--quick", "--out", str(tmp_path / "out"), "--update-doc", str(doc)]) == 0
    text = doc.read_text()
    assert "F1 histdip" in text and "python -m benchmarks traces --quick" in text
    assert (tmp_path / "out" / "results.json").exists()


def test_reader_counts_spikes_on_the_dna_level():
    x = np.zeros(400)
    x[50:350] = -0.12
    for at in (120, 200, 280):
        x[at : at + 5] = -0.25
    start, end, level = nanopore.event_span(x)
    assert (start, end) == (50, 349) and abs(level + 0.12) < 1e-9
    assert nanopore.spike_counts(x, (0.05, 0.2)) == [3, 0]
    assert [nanopore.read_ones(c, 1, 2) for c in (0, 1, 2, 3, 7)] == [0, 0, 1, 2, 2]


def test_real_events_load(shared_data):
    traces, codes, pores = nanopore.load_events(shared_data)
    assert len(traces) == 935 and set(codes) == {"000", "001", "010", "100", "101"}
    assert set(pores[codes == "010"]) == {1159}
    assert min(t.size for t in traces) >= 64
