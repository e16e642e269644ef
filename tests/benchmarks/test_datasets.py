"""Where the benchmarks find their data: the --data flag, $HISTDIP_DATA, or the folder
beside the checkout; a clear one-line stop where it is missing."""

from pathlib import Path

import pytest

import benchmarks
from benchmarks.__main__ import main
from benchmarks.datasets import DATA_ENV, data_root, load_items
from benchmarks.quality import Settings

pytestmark = pytest.mark.unit


def test_the_flag_wins_then_the_variable_then_the_folder_beside_the_checkout(tmp_path, monkeypatch):
    (tmp_path / "flag").mkdir()
    (tmp_path / "env").mkdir()
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "env"))
    assert data_root(tmp_path / "flag") == tmp_path / "flag"
    assert data_root() == tmp_path / "env"
    monkeypatch.delenv(DATA_ENV)
    beside = Path(benchmarks.__file__).resolve().parents[1].parent / "shared" / "data"
    if beside.is_dir():
        assert data_root() == beside
    else:
        with pytest.raises(SystemExit, match="shared/data"):
            data_root()


def test_a_missing_folder_stops_with_one_line_naming_it_and_the_ways_to_give_it(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "gone"))
    with pytest.raises(SystemExit) as stop:
        data_root()
    message = str(stop.value)
    assert "\n" not in message and str(tmp_path / "gone") in message and f"${DATA_ENV}" in message
    assert "--data" in message
    with pytest.raises(SystemExit, match="nowhere"):
        main(["noise", "--data", str(tmp_path / "nowhere")])


def test_simulated_datasets_need_no_data_folder(tmp_path):
    settings = Settings(sim_size=48, data=str(tmp_path / "absent"))
    assert [i.dataset for i in load_items(["sim-empty"], settings)] == ["sim-empty"]
    with pytest.raises(SystemExit, match="absent"):
        load_items(["sim-empty", "fmd"], settings)
    with pytest.raises(ValueError, match="unknown dataset"):
        load_items(["sim-nothing"], settings)
