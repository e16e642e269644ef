"""histdip's files in napari: the reader of a run record, the writer of a layer with a
record, the sample, and the manifest that offers them (histdip.napari.files, .sample)."""

import json

import numpy as np
import pytest
import tifffile

from histdip import InputError
from histdip.io import read_run_record
from histdip.napari.files import get_reader, read_histdip, write_histdip
from histdip.napari.run import restore_with_progress, result_layers
from histdip.napari.sample import sample_beads
from tests.helpers import beads, cli, save_png

TINY = {"iterations": 3, "stopping": {"rule": "fixed"}}


def layers_by_name(layers):
    return {meta["name"]: (data, meta, kind) for data, meta, kind in layers}


def test_the_reader_opens_what_histdip_restore_wrote(tmp_path, capsys):
    photo = save_png(tmp_path / "photo.png", beads((64, 64), rgb=True))
    rc, _, err = cli(capsys, "restore", photo, "--outdir", tmp_path / "out", "--iterations", "3", "--snapshots", "1",
                     "--quiet")
    assert rc == 0, err
    record_path = tmp_path / "out" / "photo_histdip.json"
    assert get_reader(str(record_path)) is read_histdip
    layers = layers_by_name(read_histdip(str(record_path)))
    record = read_run_record(record_path)
    primary = record["run"]["primary"]
    other = {"signal": "recording", "recording": "signal"}[primary]
    assert set(layers) == {"photo_histdip", f"photo_histdip_{other}", "photo_histdip_background", "photo_histdip fit"}
    data, meta, kind = layers["photo_histdip"]
    assert kind == "image" and meta["metadata"]["histdip"] == record
    assert np.array_equal(data, tifffile.imread(tmp_path / "out" / "photo_histdip.tif"))
    stack, meta, _ = layers["photo_histdip fit"]
    assert stack.shape == (3, 64, 64) and meta["metadata"]["histdip_steps"] == [1, 2, 3]


def test_the_reader_finds_the_output_when_the_run_folder_moved(tmp_path, capsys):
    photo = save_png(tmp_path / "photo.png", beads((64, 64)))
    assert cli(capsys, "restore", photo, "--outdir", tmp_path / "a", "--iterations", "2", "--quiet")[0] == 0
    (tmp_path / "a").rename(tmp_path / "b")
    assert "photo_histdip" in layers_by_name(read_histdip(tmp_path / "b" / "photo_histdip.json"))


def test_the_reader_declines_other_files_and_refuses_a_bare_record_in_one_line(tmp_path):
    assert get_reader("photo.json") is None and get_reader(["a_histdip.json", "b_histdip.json"]) is None
    record = tmp_path / "x_histdip.json"
    record.write_text(json.dumps({"histdip_config": {}, "run": {}, "input": "x.png", "output": "x_histdip.tif"}))
    with pytest.raises(InputError) as err:
        read_histdip(record)
    assert "x_histdip.tif" in str(err.value) and "\n" not in str(err.value)
    (tmp_path / "y_histdip.json").write_text("{")
    with pytest.raises(InputError):
        read_histdip(tmp_path / "y_histdip.json")


def test_a_restored_layer_written_and_read_back(tmp_path):
    result = restore_with_progress(beads((64, 64)), {"threshold": 50.0, **TINY})
    data, meta, _ = layers_by_name(result_layers(result, "photo"))["photo histdip signal"]
    written = write_histdip(str(tmp_path / "mine.tif"), data, meta)
    # the stem gets _histdip so the reader finds the pair
    assert written == [str(tmp_path / "mine_histdip.tif"), str(tmp_path / "mine_histdip.json")]
    record = read_run_record(written[1])
    assert record["run"] == json.loads(json.dumps(result.record()))
    assert record["output"] == written[0] and record["input"] == "photo"
    again = layers_by_name(read_histdip(written[1]))["mine_histdip"]
    assert np.array_equal(again[0], data.astype(np.float32))
    # the record rerun: the JSON is a config file histdip restore --config reads
    from histdip import RestoreConfig
    assert RestoreConfig.load(written[1]) == result.config


def test_a_layer_without_a_record_is_refused_in_one_line(tmp_path):
    with pytest.raises(InputError) as err:
        write_histdip(str(tmp_path / "plain.tif"), np.zeros((8, 8)), {"name": "plain", "metadata": {}})
    assert "plain" in str(err.value) and "\n" not in str(err.value)
    assert not list(tmp_path.iterdir())


def test_the_sample_is_the_bundled_bead_photo():
    [(data, meta, kind)] = sample_beads()
    assert kind == "image" and meta["rgb"] and data.shape == (1200, 900, 3) and data.dtype == np.uint8


def test_the_manifest_offers_the_widget_sample_reader_and_writer():
    npe2 = pytest.importorskip("npe2", reason="the napari plugin needs the napari extra: pip install -e '.[napari]'")
    pm = npe2.PluginManager.instance()
    pm.discover()
    manifest = pm.get_manifest("histdip")
    contributions = manifest.contributions
    assert [w.display_name for w in contributions.widgets] == ["Restore"]
    assert [s.key for s in contributions.sample_data] == ["beads"]
    assert contributions.readers[0].filename_patterns == ["*_histdip.json"]
    assert contributions.writers[0].layer_types == ["image"]
    from npe2.manifest.utils import import_python_name

    for command in contributions.commands:
        assert callable(import_python_name(command.python_name)), command.python_name
