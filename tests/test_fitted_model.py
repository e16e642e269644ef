"""histdip.fitted_model: the paper's validation mode, fit on one image and apply to others."""

from pathlib import Path

import numpy as np
import pytest
import torch

import histdip
from histdip.errors import ConfigError, InputError

DATA = Path(__file__).parent / "data"  # files written by histdip 0.1.0: data/README.md
FEW = dict(iterations=6, stopping={"rule": "fixed"})


def beads(seed=0, shape=(64, 48)):
    rng = np.random.default_rng(seed)
    img = np.clip(rng.normal(30, 8, shape), 0, 255)
    img[10:20, 10:20] = 200
    img[40:46, 20:30] = 150
    return img.astype(np.uint8)


def test_fit_then_apply_round_trip(tmp_path):
    model = histdip.fit_model(beads(), threshold=70, **FEW)
    path = model.save(tmp_path / "m.pt")
    other = beads(seed=7)
    a = histdip.apply_model(model, other)
    b = histdip.apply_model(histdip.FittedModel.load(path), other)
    c = histdip.apply_model(path, other)
    assert a.shape == other.shape
    np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_array_equal(b, c)
    assert model.fit_record["iterations"] == 6


def test_the_fit_record_keeps_the_hysteresis_threshold():
    model = histdip.fit_model(beads(), threshold=100, threshold_low=50, **FEW)
    record = model.fit_record
    assert record["threshold"] == 100 and record["threshold_low"] == 50
    assert model.config.threshold_low == 50


def test_applying_to_itself_gives_restores_eval_output():
    image = beads()
    model = histdip.fit_model(image, threshold=70, **FEW)
    restored = histdip.restore(image, threshold=70, **FEW)
    np.testing.assert_allclose(histdip.apply_model(model, image), restored, atol=1e-4)


def test_a_brightfield_model_applies_the_right_way_up():
    # Dark beads on a bright field: the fit is of the inverted planes, the output is not.
    image = 255 - beads()
    settings = dict(threshold=70, polarity="dark", background="none", **FEW)
    model = histdip.fit_model(image, **settings)
    restored = histdip.restore(image, **settings)
    applied = histdip.apply_model(model, image)
    np.testing.assert_allclose(applied, restored, atol=1e-4)
    assert np.median(applied) > 200 and model.fit_record["polarity"] == "dark"


def test_a_model_fitted_at_a_gain_applies_at_the_image_scale():
    # A dim learned-split signal is fitted at unit peak (histdip.pipeline.signal_gain).
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:96, :128]
    beads = sum(8.0 * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / 8.0) for y, x in [(30, 30), (60, 80), (70, 30)])
    img = np.clip(10 + 50 * xx / 128 + beads + rng.normal(0, 1.5, beads.shape), 0, 255).astype(np.uint8)
    model = histdip.fit_model(img, signal_gain="peak", **FEW)
    assert model.fit_record["target_gain"] > 2
    restored = histdip.restore(img, signal_gain="peak", **FEW)
    np.testing.assert_allclose(histdip.apply_model(model, img), restored, atol=1e-3)


def test_a_model_written_by_histdip_0_1_loads_and_applies_as_it_did():
    torch.set_num_threads(1)
    model = histdip.FittedModel.load(DATA / "v1_model.pt")
    assert model.config.network.channels_down == [4, 4] and model.config.stopping.rule == "fixed"
    image = np.load(DATA / "v1_model_input.npy")
    np.testing.assert_allclose(histdip.apply_model(model, image), np.load(DATA / "v1_model_applied.npy"),
                               rtol=1e-5, atol=1e-4)


def test_method_threshold_fits_nothing_and_bad_files_are_one_line(tmp_path):
    with pytest.raises(ConfigError, match="fits no network"):
        histdip.fit_model(beads(), method="threshold")
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "text.pt").write_text("hello")
    for path, needle in [(tmp_path / "none.pt", "no such model file"), (tmp_path, "is a folder"),
                         (tmp_path / "empty.pt", "empty"), (tmp_path / "text.pt", "not a histdip model file")]:
        with pytest.raises(InputError, match=needle):
            histdip.FittedModel.load(path)
    torch.save({"hello": 1}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="not a histdip model file"):
        histdip.FittedModel.load(tmp_path / "other.pt")


def test_a_model_refuses_an_image_with_other_channels():
    model = histdip.fit_model(beads(), threshold=70, **FEW)
    with pytest.raises(InputError, match="1-channel"):
        histdip.apply_model(model.__class__(model.net, model.config.replace(channel="rgb"), 1, {}),
                            np.stack([beads()] * 3, -1))


def test_a_warm_start_fits_from_the_models_weights_and_says_so():
    first = histdip.restore_detailed(beads(), threshold=70, **FEW)
    model = histdip.FittedModel.from_result(first, source="first.png")
    # Zero steps: the warm-started output is the model's own prediction on the new image.
    other = beads(seed=7)
    warm = histdip.restore_detailed(other, threshold=70, warm_start=model, iterations=1, stopping={"rule": "fixed"},
                                    lr=1e-12)
    np.testing.assert_allclose(warm.image, histdip.apply_model(model, other), atol=1e-3)
    cold = histdip.restore_detailed(other, threshold=70, iterations=1, stopping={"rule": "fixed"}, lr=1e-12)
    assert np.abs(cold.image - warm.image).max() > 1.0
    assert warm.record()["warm_start"] == {"source": "first.png", "iterations": 6}
    assert cold.record()["warm_start"] is None


def test_a_warm_start_from_another_network_is_refused():
    model = histdip.FittedModel.from_result(histdip.restore_detailed(beads(), threshold=70, **FEW))
    with pytest.raises(ConfigError, match="another network"):
        histdip.restore_detailed(beads(seed=3), threshold=70, warm_start=model, network={"channels_down": [8, 8], "channels_up": [8, 8], "channels_skip": [4, 4]},
                                    **FEW)


def test_a_saved_model_keeps_its_source(tmp_path):
    model = histdip.FittedModel.from_result(histdip.restore_detailed(beads(), threshold=70, **FEW), source="a.png")
    assert histdip.FittedModel.load(model.save(tmp_path / "m.pt")).source == "a.png"
