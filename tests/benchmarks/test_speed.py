"""The speed benchmark runs end to end on a small photo; no test reads its timings."""

import numpy as np
import pytest
from PIL import Image

from benchmarks.peers import bm3d_available
from benchmarks.speed import format_markdown, run_speed_benchmark

pytestmark = pytest.mark.unit


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_speed_benchmark_times_every_row_on_a_small_photo(tmp_path):
    rng = np.random.default_rng(0)
    photo = np.zeros((96, 128, 3), np.uint8)
    photo[..., 1] = rng.integers(5, 25, (96, 128))
    photo[30:42, 40:52, 1] = 200
    path = tmp_path / "beads.png"
    Image.fromarray(photo).save(path)
    md = tmp_path / "speed.md"
    result = run_speed_benchmark([path], repeats=2, out_markdown=md, paper_steps=1, large=False, iterations=5,
                                 progress=None)
    rows = result["rows"]
    bm3d = "BM3D (bm3d package, sigma estimated)"
    assert set(rows) | {bm3d} == {
        "histdip fast preset (fit + predict)",
        bm3d,
        "classical pipeline (denoise + rolling ball + Otsu)",
        "histdip restore command (new process: start-up, read, fit, write)",
        "paper preset, 2000 iterations (EXTRAPOLATED)",
    }
    assert (bm3d in rows) == bm3d_available()[0]  # where it cannot run, the table says why
    assert all(len(v) == 2 for v in rows.values())  # every timing repeated as asked
    assert result["notes"]["histdip fast preset (fit + predict)"] == "iterations used: [5]"
    text = md.read_text()
    assert text == format_markdown(result) and "x fast preset" in text
    assert path.exists() and not list(tmp_path.glob("*_histdip*"))  # the command wrote elsewhere
