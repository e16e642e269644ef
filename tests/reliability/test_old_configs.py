"""Saved configs from other versions, and damaged ones: each loads, or is refused with a
one-line :class:`~histdip.errors.ConfigError` naming the file; none crashes.

The files are mutations of ``tests/data/v1_fast.json``, written by histdip 0.1.0 (config
schema 1; tests/data/README.md). That a version-1 file reruns exactly as it ran is
tests/config/test_files.py's; here: what a file from an older version may lack, what a
newer one may hold, and what an edited or damaged one may contain. ``histdip restore
--config`` reports the same in one line and writes nothing.
"""

import copy
import json
from pathlib import Path

import pytest

import histdip
from histdip.config import SCHEMA_VERSION, RestoreConfig, load_config, preset
from histdip.errors import ConfigError
from tests.helpers import assert_one_line_error, beads, cli, files_under, save_png

V1_FAST = json.loads((Path(__file__).parents[1] / "data" / "v1_fast.json").read_text())


def _v1(change):
    data = copy.deepcopy(V1_FAST)
    change(data, data["histdip_config"])
    return json.dumps(data)


def _current(change):
    data = {"histdip_config_version": SCHEMA_VERSION, "histdip_config": preset("fast").to_dict()}
    change(data, data["histdip_config"])
    return json.dumps(data)


#: case -> (file text, what a config loaded from it must hold)
LOADS = {
    "version 1 without network": (_v1(lambda d, c: c.pop("network")),
                                  lambda c: c.network.channels_down == [128] * 5),  # version 1's default
    "version 1 without stopping.rule": (_v1(lambda d, c: c["stopping"].pop("rule")),
                                        lambda c: c.stopping.rule == "fixed"),
    "version 1 with only lr": (json.dumps({"histdip_config": {"lr": 0.01}}),
                               lambda c: c.lr == 0.01 and c.iterations == 2000),
    "current version without seed": (_current(lambda d, c: c.pop("seed")), lambda c: c.seed == 0),
    "a run record beside the settings": (_current(lambda d, c: d.update(run={"iterations": 5}, planes=[{}])),
                                         lambda c: c == preset("fast")),
    "version 4 without network.leash": (_current(lambda d, c: (d.update(histdip_config_version=4),
                                                               c["network"].pop("leash"))),
                                        lambda c: c.network.leash is None),  # version 4 had none
    "version 5 without stopping.started": (_current(lambda d, c: (d.update(histdip_config_version=5),
                                                                  c["stopping"].pop("started"))),
                                           lambda c: c.stopping.started is None),  # version 5 had none
    "version 6 without stopping.rewinds": (_current(lambda d, c: (d.update(histdip_config_version=6),
                                                                  c["stopping"].pop("rewinds"))),
                                           lambda c: c.stopping.rewinds == 0),  # version 6 never rewound
}

#: case -> (file text, what the one line says)
REFUSED = {
    "a future version": (_v1(lambda d, c: d.update(histdip_config_version=SCHEMA_VERSION + 1)),
                         f"version {SCHEMA_VERSION + 1} is not one this histdip reads"),
    "version as text": (_v1(lambda d, c: d.update(histdip_config_version="2")), "version '2'"),
    "version null": (_v1(lambda d, c: d.update(histdip_config_version=None)), "version None"),
    "version 1.5": (_v1(lambda d, c: d.update(histdip_config_version=1.5)), "version 1.5"),
    "settings a list": (_v1(lambda d, c: d.update(histdip_config=[1, 2])), "must be a mapping"),
    "settings null": (_v1(lambda d, c: d.update(histdip_config=None)), "must be a mapping"),
    "iterations as words": (_v1(lambda d, c: c.update(iterations="many")), "invalid setting iterations"),
    "seed 1.5": (_v1(lambda d, c: c.update(seed=1.5)), "invalid setting seed"),
    "network a string": (_v1(lambda d, c: c.update(network="big")), "invalid setting network"),
    "stopping a number": (_v1(lambda d, c: c.update(stopping=5)), "invalid setting stopping"),
    "channels as text": (_v1(lambda d, c: c["network"].update(channels_down="x")),
                         "invalid setting network.channels_down"),
    "device a mapping": (_current(lambda d, c: c.update(device={"gpu": 1})), "invalid setting device"),
    "an unknown field": (_current(lambda d, c: c.update(turbo=True)), "invalid setting turbo"),
    "threshold 1e999": (_v1(lambda d, c: None).replace('"threshold": "yen"', '"threshold": 1e999'),
                        "T=inf is outside 0-255"),
    "lr NaN": (_v1(lambda d, c: None).replace('"lr": 0.006', '"lr": NaN'), "invalid setting lr"),
    "empty file": ("", "expected a mapping"),
    "cut short": (_v1(lambda d, c: None)[:200], "not valid JSON or YAML"),
    "a YAML python tag": ("!!python/object/apply:os.system ['echo owned']", "not valid JSON or YAML"),
    "nested 100000 deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "binary": (None, "cannot read config"),
}


def _write(tmp_path, text):
    path = tmp_path / "settings.json"
    if text is None:
        path.write_bytes(b"\x80\x81\xff\x00 not text")
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("case", sorted(LOADS))
def test_an_older_or_fuller_file_loads(tmp_path, case):
    text, holds = LOADS[case]
    config = load_config(_write(tmp_path, text))
    assert isinstance(config, RestoreConfig) and holds(config)


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_damaged_or_newer_file_is_one_line_naming_it(tmp_path, case):
    text, needle = REFUSED[case]
    path = _write(tmp_path, text)
    for load in (load_config, RestoreConfig.load, lambda p: histdip.restore(beads(), p)):
        with pytest.raises(ConfigError) as err:
            load(path)
        message = str(err.value)
        assert "\n" not in message and message.startswith(f"{path}: ") and needle in message


@pytest.mark.parametrize("case", ["a future version", "network a string", "nested 100000 deep", "binary"])
def test_restore_with_such_a_file_is_one_line_and_writes_nothing(tmp_path, capsys, case):
    text, needle = REFUSED[case]
    path = _write(tmp_path, text)
    photo = save_png(tmp_path / "photo.png", beads())
    rc, _, err = cli(capsys, "restore", photo, "--config", path, "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", path, needle)
    assert files_under(tmp_path / "out") == []


def test_a_version_1_file_reruns_on_the_command_line(tmp_path, capsys):
    path = _write(tmp_path, _v1(lambda d, c: None))
    photo = save_png(tmp_path / "photo.png", beads())
    rc, _, err = cli(capsys, "restore", photo, "--config", path, "--iterations", "3", "--stop", "fixed",
                     "-o", tmp_path / "out.tif", "-q")
    assert rc == 0, err
    saved = json.loads((tmp_path / "out.json").read_text())
    assert saved["histdip_config_version"] == SCHEMA_VERSION
    assert saved["histdip_config"]["iterations"] == 3 and saved["histdip_config"]["stopping"]["rule"] == "fixed"
    assert saved["histdip_config"]["lr"] == V1_FAST["histdip_config"]["lr"]  # the rest as the file says
