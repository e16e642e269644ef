"""``histdip restore trace.csv`` / ``.npy``: the restored trace in the input's layout,
a before/after plot and the JSON, with no flag beyond the file."""

import json

import numpy as np
import pytest

from histdip.config import load_config
from histdip.simulate.traces import simulate_trace
from tests.helpers import assert_one_line_error, cli, files_under


def _write_csv(path, sim, header="time,current"):
    t = np.arange(sim.trace.size) * 1e-4
    lines = [header] + [f"{a:.6g},{b:.6g}" for a, b in zip(t, sim.trace)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def sim():
    return simulate_trace(3000, snr=6.0, rate="moderate", polarity="dark", drift=2.0, seed=8)


def test_csv_as_a_new_user_gives_it(tmp_path, capsys, monkeypatch, sim):
    src = _write_csv(tmp_path / "trace.csv", sim)
    monkeypatch.chdir(tmp_path)
    rc, out, err = cli(capsys, "restore", "trace.csv")
    assert rc == 0, err
    assert files_under(tmp_path / "histdip-output") == ["trace_histdip.csv", "trace_histdip.json",
                                                       "trace_histdip.png"]
    written = (tmp_path / "histdip-output" / "trace_histdip.csv").read_text().splitlines()
    assert written[0] == "time,current" and len(written) == 3001
    assert [r.split(",")[0] for r in written[1:4]] == [r.split(",")[0] for r in src.read_text().splitlines()[1:4]]
    restored = np.array([float(r.split(",")[1]) for r in written[1:]])
    assert np.mean((restored - sim.clean) ** 2) < 0.5 * np.mean((sim.trace - sim.clean) ** 2)
    record = json.loads((tmp_path / "histdip-output" / "trace_histdip.json").read_text())
    assert record["trace"]["columns"]["current"]["polarity"] == "dark"
    assert record["trace"]["time_column"] == "time" and record["input"] == "trace.csv"
    assert load_config(tmp_path / "histdip-output" / "trace_histdip.json").polarity == "auto"
    assert "trace.csv -> histdip-output/trace_histdip.csv" in out


def test_npy_with_two_columns(tmp_path, capsys, sim):
    np.save(tmp_path / "two.npy", np.column_stack([sim.trace, -sim.trace]))
    rc, _, err = cli(capsys, "restore", tmp_path / "two.npy", "--outdir", tmp_path / "o", "-q",
                     "--iterations", "60")
    assert rc == 0, err
    out = np.load(tmp_path / "o" / "two_histdip.npy")
    assert out.shape == (3000, 2)
    record = json.loads((tmp_path / "o" / "two_histdip.json").read_text())
    pols = [c["polarity"] for c in record["trace"]["columns"].values()]
    assert pols == ["dark", "bright"]


def test_refuses_flags_that_do_not_apply_and_existing_outputs(tmp_path, capsys, sim):
    src = _write_csv(tmp_path / "t.csv", sim)
    rc, _, err = cli(capsys, "restore", src, "--report", "--outdir", tmp_path / "o")
    assert rc == 2
    assert_one_line_error(err, "restore", "--report is not available for a trace")
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "t_histdip.png").write_bytes(b"x")
    rc, _, err = cli(capsys, "restore", src, "--outdir", tmp_path / "o", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "t_histdip.png", "--overwrite")
    assert files_under(tmp_path / "o") == ["t_histdip.png"]


def test_a_device_that_is_not_there_is_one_line(tmp_path, capsys, sim):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the device is there")
    path = _write_csv(tmp_path / "t.csv", sim)
    rc, _, err = cli(capsys, "restore", path, "--device", "cuda", "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "no usable CUDA")
    assert files_under(tmp_path / "out") == []
