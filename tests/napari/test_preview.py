"""The live mask is the mask the restoration uses (histdip.napari.preview). No napari needed."""

import numpy as np
import pytest

from histdip import ConfigError, HistDip
from histdip.napari.preview import mask_preview, run_settings
from tests.helpers import beads


def test_a_given_t_is_the_papers_mask_on_the_raw_grey():
    img = beads((64, 80), rgb=True)
    for t in (40.0, 90.0):
        preview = mask_preview(img, threshold=t)
        assert preview.threshold == t
        assert np.array_equal(preview.mask, HistDip(threshold=t).prepare(img).prior.mask)
        assert preview.fraction == pytest.approx(preview.mask.mean())
        assert f"T = {t:.4g}" in preview.text


def test_a_higher_t_keeps_fewer_pixels():
    img = beads((64, 80))
    low, high = mask_preview(img, threshold=30.0), mask_preview(img, threshold=120.0)
    assert high.mask.sum() < low.mask.sum()
    assert not (high.mask & ~low.mask).any()  # the higher mask lies inside the lower one


def test_auto_is_histdips_own_learned_split():
    img = beads((64, 80), rgb=True)
    prep = HistDip().prepare(img)
    preview = mask_preview(img)
    assert preview.threshold == pytest.approx(prep.split_prior.threshold)
    assert np.array_equal(preview.mask, prep.split_prior.mask)
    assert preview.text.startswith("auto: learned T")


def test_t_lives_on_the_grey_whichever_channel_is_restored():
    img = beads((64, 80), rgb=True)
    red, green = (mask_preview(img, channel=c, threshold=40.0) for c in ("red", "green"))
    assert np.array_equal(red.mask, green.mask)


def test_a_bad_channel_is_a_one_line_config_error():
    with pytest.raises(ConfigError) as err:
        mask_preview(beads((64, 80), rgb=True), channel="purple", threshold=10.0)
    assert "purple" in str(err.value) and "\n" not in str(err.value)


def test_settings_leave_t_to_histdip_unless_given():
    assert "threshold" not in run_settings(channel="auto", threshold=None)
    assert run_settings(threshold=12, iterations=7, seed=3) == {"channel": "auto", "seed": 3, "threshold": 12.0,
                                                                 "iterations": 7}
