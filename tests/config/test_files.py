"""histdip.config.files: saved configs carry a schema version; older files migrate and rerun as they ran."""

import json
from pathlib import Path

import pytest
import yaml

from histdip.config import SCHEMA_VERSION, RestoreConfig, load_config, migrate, preset, save_config
from histdip.errors import ConfigError

DATA = Path(__file__).parents[1] / "data"  # files written by histdip 0.1.0 (schema 1): data/README.md


@pytest.mark.parametrize("name", ["c.json", "c.yaml", "c.yml"])
def test_round_trip_with_the_schema_version(tmp_path, name):
    c = preset("fast").replace(threshold=99, seed=4, network={"norm": "batch"})
    path = save_config(c, tmp_path / name, extra={"run": {"iterations": 3}})
    data = yaml.safe_load(path.read_text())
    assert data["histdip_config_version"] == SCHEMA_VERSION and data["run"] == {"iterations": 3}
    assert load_config(path) == c == RestoreConfig.load(path)


def test_a_version_1_file_reruns_as_it_ran():
    fast = load_config(DATA / "v1_fast.json")
    # written with every field: the fast preset then, the Yen prior (today's learns the split)
    # the near-level patience (today's thresholded fits go without it) and no leash on the
    # clipped output, whose rule could level off before the fit had started and never
    # rewound a collapsed fit
    assert fast == preset("fast").replace(threshold="yen", background="rolling-ball", polarity="bright",
                                          stopping={"near_level": 4.0, "started": None, "rewinds": 0},
                                          network={"leash": None})
    paper = load_config(DATA / "v1_paper.json")
    assert (paper.network.channels_down, paper.iterations, paper.stopping.rule) == ([128] * 5, 2000, "fixed")
    # a field the file lacks had version 1's default: the detour, off
    before = load_config(DATA / "v1_fast_before_detour.json")
    assert before.stopping.detour is None and before == fast.replace(stopping={"detour": None})


def test_migration_fills_what_version_1_left_out_with_its_defaults():
    fields = migrate({"lr": 0.01}, 1)
    assert fields["lr"] == 0.01
    assert (fields["iterations"], fields["background"], fields["network"]["norm"]) == (2000, "none", "batch")
    assert RestoreConfig(**fields).sample is None
    with pytest.raises(ConfigError, match="version 9"):
        migrate({}, 9)


def test_a_hand_written_mapping_applies_over_its_preset(tmp_path):
    (tmp_path / "mine.yaml").write_text("lr: 0.01\nthreshold: otsu\n")
    assert load_config(tmp_path / "mine.yaml") == preset("fast").replace(lr=0.01, threshold="otsu", sample=None)
    (tmp_path / "paper.yaml").write_text("preset: paper\niterations: 10\n")
    assert load_config(tmp_path / "paper.yaml") == preset("paper").replace(iterations=10)


@pytest.mark.parametrize("content, needle", [
    (None, "no such config file"),
    ("[1, 2", "not valid JSON or YAML"),
    ("[1, 2]", "expected a mapping"),
    ('{"histdip_config": {"lr": -1}}', "invalid setting lr"),
    ('{"histdip_config": {}, "histdip_config_version": 99}', "version 99"),
    ("lrr: 1", "lrr"),
])
def test_a_bad_file_is_one_line_naming_it(tmp_path, content, needle):
    path = tmp_path / "c.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value) and needle in str(err.value)


def test_a_folder_is_not_a_config(tmp_path):
    with pytest.raises(ConfigError, match="not a file"):
        load_config(tmp_path)


def test_saved_json_is_strict_json(tmp_path):
    path = save_config(preset("paper"), tmp_path / "c.json")
    json.loads(path.read_text())  # no NaN or Infinity tokens


def test_a_version_2_file_reruns_as_fluorescence_plane_by_plane():
    # Version 2 had neither field: it read every image as bright objects and restored a
    # stack plane by plane, whatever the defaults are now.
    fields = migrate({"lr": 0.01}, 2)
    assert (fields["polarity"], fields["volume"], fields["lr"]) == ("bright", "planes", 0.01)
    assert migrate({"polarity": "dark"}, 2)["polarity"] == "dark"
    assert migrate({}, 1)["polarity"] == "bright"


def test_a_version_3_file_reruns_with_the_near_level_patience_it_had():
    # Version 3's default waited the long patience within 4x the noise on a thresholded fit.
    assert RestoreConfig(**migrate({"stopping": {"rule": "noise-level"}}, 3)).stopping.near_level == 4.0
    assert RestoreConfig(**migrate({}, 3)).stopping.near_level == 4.0
    assert migrate({"stopping": {"near_level": None}}, 3)["stopping"]["near_level"] is None
    assert migrate({}, 2)["stopping"]["near_level"] == 4.0
    assert migrate({}, 1)["stopping"]["near_level"] is None  # version 1 had no near-level patience
    assert RestoreConfig().stopping.near_level is None


def test_a_version_4_file_reruns_without_the_leash():
    # Version 4's clipped output had none; a file that names one keeps it.
    assert RestoreConfig(**migrate({}, 4)).network.leash is None
    assert RestoreConfig(**migrate({"network": {"leash": 2.0}}, 4)).network.leash == 2.0
    assert migrate({}, 3)["network"]["leash"] is None and migrate({}, 1)["network"]["leash"] is None
    assert RestoreConfig().network.leash == 3.0 and preset("paper").network.leash is None


def test_a_version_5_file_reruns_with_a_rule_that_may_level_off_before_the_fit_starts():
    # Version 5's noise-level rule had no started test; a file that names one keeps it.
    assert RestoreConfig(**migrate({}, 5)).stopping.started is None
    assert RestoreConfig(**migrate({"stopping": {"started": 0.3}}, 5)).stopping.started == 0.3
    assert migrate({}, 4)["stopping"]["started"] is None and migrate({}, 1)["stopping"]["started"] is None
    assert RestoreConfig().stopping.started == 0.5


def test_a_version_6_file_reruns_without_rewinding_a_collapsed_fit():
    assert RestoreConfig(**migrate({}, 6)).stopping.rewinds == 0
    assert RestoreConfig(**migrate({"stopping": {"rewinds": 1}}, 6)).stopping.rewinds == 1
    assert migrate({}, 5)["stopping"]["rewinds"] == 0 and migrate({}, 1)["stopping"]["rewinds"] == 0
    assert RestoreConfig().stopping.rewinds == 3
