"""histdip.restore_stack: planes restored in order, each channel from its own cold fit,
every later plane warm-started from the one before it."""

import numpy as np
import pytest

from histdip import FittedModel, InputError, NoSignalError, restore_detailed, restore_stack
from histdip.config import resolve_config
from histdip.series import warm_config
from tests.helpers import beads

TINY = dict(iterations=5, stopping={"rule": "fixed"})


def time_lapse(t=3, c=3, shape=(48, 64)):
    """T x C x Y x X uint16; channel j is 1/(j+1) as bright, with its own beads."""
    return np.stack([np.stack([beads(shape, np.uint16, seed=10 * i + j) // (j + 1) for j in range(c)])
                     for i in range(t)])


@pytest.fixture(scope="module")
def lapse_result():
    stack = time_lapse()
    return stack, restore_stack(stack, "TCYX", **TINY)


def test_result_has_the_input_shape_and_axes(lapse_result):
    stack, result = lapse_result
    assert result.image.shape == stack.shape and result.axes == "TCYX"
    assert result.image.dtype == np.float32 and np.isfinite(result.image).all()
    assert set(result.layers) == {"signal", "recording", "background"}
    assert all(layer.shape == stack.shape for layer in result.layers.values())


def test_one_record_per_plane_with_its_warm_start(lapse_result):
    _, result = lapse_result
    records = result.records
    # Channel by channel, in time order: each channel's first plane is cold.
    assert [r["plane"] for r in records[:4]] == ["t=0 c=0", "t=1 c=0", "t=2 c=0", "t=0 c=1"]
    assert [r["index"] for r in records[3:5]] == [{"t": 0, "c": 1}, {"t": 1, "c": 1}]
    cold = [r for r in records if r["warm_start"] is None]
    assert [r["plane"] for r in cold] == ["t=0 c=0", "t=0 c=1", "t=0 c=2"]
    assert records[4]["warm_start"] == {"source": "plane t=0 c=1", "iterations": 5}
    assert records[5]["warm_start"]["source"] == "plane t=1 c=1"
    assert all(r["iterations"] == 5 and r["stop_reason"].startswith("fixed") for r in records)
    assert "curve" not in records[0] and "threshold" in records[0]
    assert result.summary().startswith("9 planes (TCYX), 3 cold and 6 warm-started")


def test_each_channel_has_its_own_split(lapse_result):
    _, result = lapse_result
    splits = [r["split_on_input"]["threshold"] for r in result.records if r["index"]["t"] == 0]
    assert len(splits) == 3 and splits[0] > splits[1] > splits[2]  # each channel dimmer than the last


def test_planes_are_exactly_the_cold_then_warm_chain(lapse_result):
    stack, result = lapse_result
    config = resolve_config(None, **TINY)
    first = restore_detailed(stack[0, 1], config)
    np.testing.assert_array_equal(result.image[0, 1], first.image)
    warm = restore_detailed(stack[1, 1], warm_config(first.config),
                            warm_start=FittedModel.from_result(first, source="plane t=0 c=1"))
    np.testing.assert_array_equal(result.image[1, 1], warm.image)


def test_repeatable_and_seeded():
    stack = time_lapse(t=2, c=1)[:, 0]
    a = restore_stack(stack, "ZYX", **TINY)
    b = restore_stack(stack, "ZYX", **TINY)
    np.testing.assert_array_equal(a.image, b.image)
    other = restore_stack(stack, "ZYX", seed=3, **TINY)
    assert not np.array_equal(a.image, other.image)
    assert other.config.seed == 3


def test_colour_samples_stay_one_plane():
    stack = np.stack([beads(rgb=True, seed=i) for i in range(2)])  # T Y X S
    result = restore_stack(stack, "TYXS", method="threshold", threshold=100)
    assert result.axes == "TYX" and result.image.shape == stack.shape[:3]
    assert all(r["warm_start"] is None for r in result.records)  # nothing fitted, nothing to start from


def test_a_failing_plane_is_named():
    stack = time_lapse(t=2, c=1)[:, 0]
    stack[1] = 5
    with pytest.raises(NoSignalError, match="^plane t=1: "):
        restore_stack(stack, "TYX", method="threshold", threshold=100)


@pytest.mark.parametrize("shape, axes, message", [
    ((2, 16, 16), "TCYX", "name 4 axes"),
    ((2, 16, 16), "YXT", "planes stored last"),
    ((2, 16, 16), "TTX", "repeat"),
    ((9, 16, 16), "CYX", "at most 8"),
    ((2, 16, 16, 3), "CYXS", "both channels"),
    ((2, 4, 16), "TYX", "at least 8x8"),
    ((0, 16, 16), "TYX", "no planes"),
])
def test_unsupported_stacks_are_refused_in_one_line(shape, axes, message):
    with pytest.raises(InputError, match=message) as err:
        restore_stack(np.zeros(shape, np.uint8), axes, **TINY)
    assert "\n" not in str(err.value)
