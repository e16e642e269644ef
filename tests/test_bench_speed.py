"""The speed benchmark runs end to end on a small photo; no test reads its timings."""

import numpy as np
import pytest
from PIL import Image

from histdip.bench.speed import format_markdown, run_speed_benchmark


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_speed_benchmark_times_every_row_on_a_small_photo(tmp_path):
    rng = np.random.default_rng(0)
    photo = np.zeros((96, 128, 3), np.uint8)
    photo[..., 1] = rng.integers(5, 25, (96, 128))
    photo[30:42, 40:52, 1] = 200
    path = tmp_path / "beads.png"
    Image.fromarray(photo).save(path)
    md = tmp_path / "speed.md"
    result = run_speed_benchmark([path], repeats=1, out_markdown=md, paper_steps=1, large=False, iterations=5,
                                 progress=None)
    rows = result["rows"]
    assert "histdip fast preset (fit + predict)" in rows
    assert any(name.startswith("histdip restore command") for name in rows)
    assert any(name.startswith("paper preset") for name in rows)
    assert all(len(v) >= 1 and all(s > 0 for s in v) for v in rows.values())
    text = md.read_text()
    assert text == format_markdown(result) and "x fast preset" in text
    assert path.exists() and not list(tmp_path.glob("*_histdip*"))  # the command wrote elsewhere
