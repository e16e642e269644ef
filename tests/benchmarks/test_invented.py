"""``python -m benchmarks invented``: its scenes, its bookkeeping, and the ``--quick`` run
end to end."""

import json

import numpy as np

from benchmarks.__main__ import main
from benchmarks.invented import (EMPTY_SCENES, METHODS, _unmatched, empty_scene, empty_seed, summary_table)
from benchmarks.counting import detection_counts
from benchmarks.sweep_grid import GRID, HELD_OUT_SEEDS, TUNING_SEEDS, scene_seed
from histdip.simulate import simulate_scene


def test_bead_free_scenes_have_no_signal_and_are_apart_from_every_other_scene():
    for name in EMPTY_SCENES:
        scene = empty_scene(name, HELD_OUT_SEEDS[0], (64, 80))
        assert scene.clean.max() == 0 and len(scene.beads) == 0 and not scene.support.any()
        assert scene.haze.max() > 0  # ghost flares: something to resist
    grey = empty_scene("grey", HELD_OUT_SEEDS[0], (64, 80)).noisy_rgb
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 1], grey[..., 2])
    empty = {empty_seed(s, k) for s in (*TUNING_SEEDS, *HELD_OUT_SEEDS) for k in range(len(EMPTY_SCENES))}
    grid = {scene_seed(s, k) for s in (*TUNING_SEEDS, *HELD_OUT_SEEDS) for k in range(len(GRID))}
    assert len(empty) == len(EMPTY_SCENES) * (len(TUNING_SEEDS) + len(HELD_OUT_SEEDS)) and not empty & grid


def test_unmatched_detections_are_the_false_positives_of_the_counting_benchmark():
    scene = simulate_scene(shape=(96, 128), seed=3, bead_size="medium", n_beads=6)
    b = scene.beads
    found = np.array([[b["y"][0] + 1, b["x"][0]], [b["y"][1], b["x"][1]], [2.0, 2.0], [90.0, 5.0]])
    tp, fp, fn, pairs = detection_counts(found, b, scene.shape)
    invented = _unmatched(found, pairs, scene)
    assert int(invented.sum()) == fp
    assert not invented[0] and not invented[1]


def test_quick_run_writes_its_results(tmp_path, capsys):
    main(["invented", "--quick", "--threads", "1", "--out", str(tmp_path)])
    result = json.loads((tmp_path / "results.json").read_text())
    rows = result["rows"]
    assert {r["method"] for r in rows} == set(METHODS)
    empty = [r for r in rows if r["part"] == "empty"]
    assert {r["scene"] for r in empty} == set(EMPTY_SCENES)
    assert all(r["invented"] == r["counted"] for r in empty)  # nothing to find: every object is invented
    assert {r["method"] for r in rows if r["scene"] == "grey"} == set(METHODS) - {"histdip-capped"}
    assert all(r["invented"] <= r["counted"] and r["per_mp"] == r["invented"] / r["mp"] for r in rows)
    assert (tmp_path / "overlays" / f"empty-colour-{HELD_OUT_SEEDS[0]}_histdip.png").is_file()
    text = (tmp_path / "results.md").read_text()
    assert "| scenes | counted on |" in text and "bead-free colour photos" in text
    assert "per MP, worst" in capsys.readouterr().out
    assert summary_table(rows).count("\n") >= 5
    main(["invented", "--tables-from", str(tmp_path)])  # the tables again, measuring nothing
    assert "per MP, worst" in capsys.readouterr().out
