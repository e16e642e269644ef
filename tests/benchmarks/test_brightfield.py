"""``python -m benchmarks brightfield``: its scoring, the objects kept on real photos, and a
tiny run end to end."""

import numpy as np

from benchmarks.__main__ import main
from benchmarks.brightfield import centre_crop, kept_objects, noise_sigma, score_layers
from histdip.simulate import simulate_brightfield


def test_a_perfect_restoration_scores_high_and_the_noisy_input_low():
    scene = simulate_brightfield((96, 96), seed=7)
    layers = {"recording": scene.clean.astype(float), "signal": scene.signal.astype(float)}
    perfect = {row[0]: row[1:] for row in score_layers(layers, scene)}
    noisy = {row[0]: row[1:] for row in score_layers({"recording": scene.noisy.astype(float)}, scene)}
    assert len(perfect) == 2 and perfect["recording"][0] > 60 and perfect["recording"][2] > 0.6
    assert perfect["recording"][3] < perfect["recording"][0]  # the halo is in the clean image
    assert perfect["signal"][2] > 0.8
    assert noisy["recording"][0] < 35 and noisy["recording"][2] < perfect["recording"][2]


def test_kept_objects_sees_an_erased_object():
    rng = np.random.default_rng(0)
    field = 200 + rng.normal(0, 2, (96, 96))
    yy, xx = np.mgrid[:96, :96]
    spots = [(20, 20), (50, 70), (75, 30)]
    before = field.copy()
    for y, x in spots:
        before[np.hypot(yy - y, xx - x) <= 4] -= 80
    after = before.copy()
    after[np.hypot(yy - 50, xx - 70) <= 6] = 200  # one object erased
    t = 5 * noise_sigma(before)
    n, kept, new = kept_objects(before, before, threshold=t)
    assert n == 3 and kept == 1.0 and new == 0
    n, kept, new = kept_objects(before, after, threshold=t)
    assert n == 3 and abs(kept - 2 / 3) < 1e-9
    assert centre_crop(np.zeros((10, 20)), 6).shape == (6, 6)


def test_command_runs_on_a_tiny_scene(tmp_path, capsys):
    out = tmp_path / "bf.md"
    assert main(["brightfield", "--seeds", "3", "--shape", "64", "64", "--methods", "input", "classical", "histdip",
                 "--iterations", "10", "--no-real", "--threads", "1", "--out", out]) == 0
    text = out.read_text()
    assert "held-out seeds 3" in text and "classical pipeline, polarity flipped" in text
    assert text.count("histdip (no flags)") == 2  # its output (recording) and its signal layer
