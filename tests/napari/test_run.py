"""A run for the viewer: the fit's per-step callback, cancelling, and the result as layers
(histdip.napari.run, histdip.fit.fit's callback). No napari needed."""

import numpy as np
import pytest

from histdip import restore_detailed
from histdip.napari.run import is_cancelled, restore_with_progress, result_layers
from tests.helpers import beads

TINY = {"iterations": 6, "stopping": {"rule": "fixed"}}


def test_a_callback_that_never_stops_changes_nothing():
    img = beads((64, 64))
    plain = restore_detailed(img, **TINY)
    seen = []
    watched = restore_detailed(img, callback=lambda step, loss: seen.append((step, loss)), **TINY)
    assert np.array_equal(plain.image, watched.image)
    assert [s for s, _ in seen] == list(range(1, 7))
    assert [loss for _, loss in seen] == list(plain.fit.loss)
    assert watched.stop_reason == plain.stop_reason


def test_a_true_answer_stops_the_fit_as_cancelled():
    img = beads((64, 64))
    result = restore_detailed(img, callback=lambda step, loss: step == 2, **TINY)
    assert result.iterations == 2
    assert result.stop_reason.startswith("cancelled")
    assert result.record()["stop_reason"] == result.stop_reason
    assert is_cancelled(result)
    assert not is_cancelled(restore_detailed(img, **TINY))


def test_progress_and_stop_through_restore_with_progress():
    steps, asked = [], []

    def should_stop():
        asked.append(1)
        return len(steps) >= 3

    result = restore_with_progress(beads((64, 64)), {"seed": 1, **TINY}, on_step=lambda k, _: steps.append(k),
                                   should_stop=should_stop)
    assert steps == [1, 2, 3] and len(asked) == 3
    assert result.iterations == 3 and result.config.seed == 1


def test_the_learned_split_comes_back_as_layers_with_the_record():
    img = beads((64, 64), rgb=True)
    result = restore_with_progress(img, TINY, snapshot_every=2)
    layers = {meta["name"]: (data, meta, kind) for data, meta, kind in result_layers(result, "photo")}
    assert set(layers) == {f"photo histdip {n}" for n in ("signal", "recording", "background", "mask", "fit")}
    for data, meta, kind in layers.values():
        record = meta["metadata"]["histdip"]
        assert record["run"] == result.record()
        assert record["histdip_config"] == result.config.to_dict()
        assert record["input"] == "photo"
        assert data.shape[-2:] == img.shape[:2]
    assert np.array_equal(layers["photo histdip signal"][0], result.layers["signal"])
    assert np.array_equal(layers["photo histdip mask"][0], result.mask)
    assert layers["photo histdip mask"][2] == "labels"
    stack, meta, _ = layers["photo histdip fit"]
    assert meta["metadata"]["histdip_steps"] == [2, 4, 6]
    assert stack.shape == (3, 64, 64)
    assert np.array_equal(stack[-1], result.snapshots[-1][1])
    # the primary layer is added last, so it lies on top
    names = [meta["name"] for _, meta, _ in result_layers(result, "photo")]
    assert names[-1] == f"photo histdip {result.primary_layer}"


def test_a_given_t_gives_the_restored_signal_and_its_mask():
    result = restore_with_progress(beads((64, 64)), {"threshold": 60.0, **TINY})
    layers = result_layers(result, "p")
    assert [meta["name"] for _, meta, _ in layers] == ["p histdip mask", "p histdip signal"]
    assert np.array_equal(layers[1][0], result.image)
    assert layers[1][1]["metadata"]["histdip"]["run"]["threshold"] == pytest.approx(60.0)


def test_seeds_pass_through():
    img = beads((64, 64))
    a, b = (restore_with_progress(img, {"seed": s, **TINY}).image for s in (0, 1))
    assert not np.array_equal(a, b)
    assert np.array_equal(a, restore_with_progress(img, {"seed": 0, **TINY}).image)
