"""histdip.config.resolve: a preset or file, a kind of sample and the caller's fields, combined in one place."""

import pytest

from histdip.config import PAPER_MASK, merge_settings, parse_assignments, preset, resolve_config
from histdip.errors import ConfigError


def test_sample_settings_go_under_the_callers_own_and_tune_only_the_fast_preset(tmp_path):
    fast = resolve_config()
    assert fast == preset("fast") and fast.sample == "auto"  # the image chooses, at restore time
    fil = resolve_config(sample="filaments")
    assert (fil.sample, fil.threshold_low, fil.stopping.level, fil.stopping.near_level) == ("filaments", "li", 0.6, 4.0)
    # the rest of the stopping section is the default's, not the section's defaults
    assert fil.replace(threshold_low=None, threshold=fast.threshold, background=fast.background,
                       stopping={"level": fast.stopping.level, "near_level": fast.stopping.near_level},
                       sample="auto") == fast
    cells = resolve_config(sample="cells", threshold="otsu")
    assert (cells.threshold, cells.background) == ("otsu", "none")
    # beads is the Yen prior (the default learns the split instead)
    assert resolve_config(sample="beads") == fast.replace(sample="beads", threshold="yen", background="rolling-ball")
    saved = resolve_config(sample="cells").save(tmp_path / "c.json")
    assert resolve_config(saved) == resolve_config(sample="cells")  # no need to name the sample again
    assert resolve_config(saved, sample="filaments").threshold_low == "li"
    with pytest.raises(ConfigError, match="fast preset"):
        resolve_config(preset="paper", sample="cells")
    with pytest.raises(ConfigError, match="unknown sample"):
        resolve_config(sample="tissue")


def test_auto_is_off_for_hand_set_prior_fields_other_methods_and_the_paper_preset():
    for fields in (dict(threshold=120), dict(threshold="otsu"), dict(background="none"), dict(threshold_low="li"),
                   dict(background_radius=30), dict(method="dip"), dict(method="threshold"), dict(preset="paper")):
        assert resolve_config(**fields).sample is None, fields
    assert resolve_config(lr=0.01, seed=3).sample == "auto"  # fields outside the prior leave it on
    assert resolve_config(sample="auto", threshold=120).sample is None  # even when named
    # a low T alone makes a hysteresis pair with the Yen prior's T, not with the learned split
    assert resolve_config(threshold_low="li").threshold == "yen"
    with pytest.raises(ConfigError, match="fast preset"):
        resolve_config(preset="paper", sample="auto")


@pytest.mark.parametrize("t", [143, 143.0, "143"])
def test_a_number_given_as_threshold_is_the_papers_mask_on_the_raw_grey(t):
    c = resolve_config(threshold=t)
    assert c.threshold == 143.0
    assert {k: getattr(c, k) for k in PAPER_MASK} == PAPER_MASK
    # the same in every preset and from a saved file
    assert resolve_config(preset("fast").replace(background="tophat"), threshold=t).background == "none"


def test_a_hand_threshold_with_a_background_applies_to_the_grey_the_settings_build():
    c = resolve_config(threshold=20, background="rolling-ball", background_radius=12)
    assert (c.background, c.background_radius) == ("rolling-ball", 12)
    assert (c.threshold_smooth, c.mask_grow) == (1.0, 1)  # the preset's grey and mask, as histdip threshold shows
    assert resolve_config(threshold=20, threshold_smooth=2.0).threshold_smooth == 2.0
    # a rule keeps the preset's grey
    rule = resolve_config(threshold="otsu")
    assert (rule.background, rule.threshold_smooth, rule.mask_grow) == ("envelope", 1.0, 1)


def test_preset_restarts_and_config_types_are_checked():
    assert resolve_config(preset("fast").replace(lr=0.5), preset="paper") == preset("paper")
    assert resolve_config(preset="paper", iterations=5).iterations == 5
    with pytest.raises(ConfigError, match="RestoreConfig or a file path"):
        resolve_config({"lr": 1})
    with pytest.raises(ConfigError, match="unknown preset"):
        resolve_config(preset="slow")


def test_parse_assignments_reads_json_values_and_refuses_a_missing_equals_sign():
    assert parse_assignments(["lr=0.006", "background=none", 'physics={"factor": 1}', "tile=null"]) == {
        "lr": 0.006, "background": "none", "physics": {"factor": 1}, "tile": None}
    with pytest.raises(ConfigError, match="FIELD=VALUE"):
        parse_assignments(["lr"])


def test_merge_settings_merges_sections_and_copies():
    base = {"lr": 1, "stopping": {"rule": "fixed", "level": 1.0}}
    merged = merge_settings(base, {"stopping": {"level": 0.6}, "lr": 2})
    assert merged == {"lr": 2, "stopping": {"rule": "fixed", "level": 0.6}}
    assert base["stopping"]["level"] == 1.0  # the base is left alone
