"""The dock widget in a viewer: the layer list, the live mask, a run with progress and
cancel, its layers, and user mistakes as one-line notifications."""

import numpy as np
import pytest

pytest.importorskip("napari", reason="the napari plugin needs the napari extra: pip install -e '.[napari]'")
pytest.importorskip("pytestqt", reason="the napari plugin's tests need pytest-qt")

from napari.layers import Layer  # noqa: E402

from histdip.napari.widget import PREVIEW_NAME, RestoreWidget  # noqa: E402
from tests.helpers import beads  # noqa: E402

WAIT_MS = 30_000


@pytest.fixture
def viewer_and_widget(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.add_image(beads((64, 80), rgb=True), name="photo", rgb=True)
    _, widget = viewer.window.add_plugin_dock_widget("histdip", "Restore")
    assert isinstance(widget, RestoreWidget)
    widget.iterations.value = 5
    widget.snapshot_every.value = 2
    yield viewer, widget
    # A mask or a fit still running when the viewer closes would answer into a test
    # that has ended: each test waits for its own.
    widget.cancel()
    qtbot.waitUntil(lambda: not widget.busy, timeout=WAIT_MS)


def wait_idle(qtbot, widget):
    qtbot.waitUntil(lambda: not widget.running, timeout=WAIT_MS)


def test_the_manifest_docks_the_widget_with_the_photo_chosen(viewer_and_widget):
    viewer, widget = viewer_and_widget
    assert widget.image.value is viewer.layers["photo"]
    viewer.add_image(np.zeros((40, 40), np.uint8), name="second")
    assert [layer.name for layer in widget.image.choices] == ["photo", "second"]


def test_the_mask_follows_t_and_moving_t_overrides_auto(viewer_and_widget, qtbot):
    viewer, widget = viewer_and_widget
    widget.update_preview()
    qtbot.waitUntil(lambda: PREVIEW_NAME in viewer.layers, timeout=WAIT_MS)
    assert widget.preview_text.value.startswith("auto: learned T")
    assert widget.chosen_threshold() is None
    widget.threshold.value = 200.0  # the user drags the slider
    assert widget.auto_threshold.value is False and widget.chosen_threshold() == 200.0
    qtbot.waitUntil(lambda: widget.preview_text.value.startswith("T = 200 on"), timeout=WAIT_MS)
    high = viewer.layers[PREVIEW_NAME].data.sum()
    widget.threshold.value = 20.0
    qtbot.waitUntil(lambda: widget.preview_text.value.startswith("T = 20 on"), timeout=WAIT_MS)
    assert viewer.layers[PREVIEW_NAME].data.sum() > high
    widget.auto_threshold.value = True
    qtbot.waitUntil(lambda: widget.preview_text.value.startswith("auto"), timeout=WAIT_MS)


def test_a_run_reports_progress_and_adds_its_layers_with_the_record(viewer_and_widget, qtbot):
    viewer, widget = viewer_and_widget
    steps = []
    widget._steps.step.connect(lambda k, loss: steps.append(k))
    worker = widget.start()
    assert worker is not None and widget.cancel_button.enabled and not widget.run_button.enabled
    assert widget.start() is None  # one run at a time
    wait_idle(qtbot, widget)
    qtbot.waitUntil(lambda: "photo histdip signal" in viewer.layers, timeout=WAIT_MS)
    assert steps == [1, 2, 3, 4, 5]
    assert widget.progress.value == 5 and widget.status.value.startswith("done")
    for name in ("signal", "recording", "background", "mask", "fit"):
        layer = viewer.layers[f"photo histdip {name}"]
        record = layer.metadata["histdip"]
        assert record["run"]["iterations"] == 5
        assert record["histdip_config"]["seed"] == 0 and record["input"] == "photo"
    assert viewer.layers["photo histdip fit"].data.shape == (2, 64, 80)  # steps 2 and 4
    assert viewer.layers["photo histdip fit"].metadata["histdip_steps"] == [2, 4]
    assert type(viewer.layers["photo histdip mask"]).__name__ == "Labels"
    # results are not offered as photos to restore; a rerun replaces its layers
    assert [layer.name for layer in widget.image.choices] == ["photo"]
    count = len(viewer.layers)
    widget.start()
    wait_idle(qtbot, widget)
    qtbot.wait(50)
    assert len(viewer.layers) == count
    assert widget.run_button.enabled and not widget.cancel_button.enabled


def test_a_given_t_and_seed_reach_the_run(viewer_and_widget, qtbot):
    viewer, widget = viewer_and_widget
    widget.threshold.value = 60.0
    widget.seed.value = 4
    widget.start()
    wait_idle(qtbot, widget)
    qtbot.waitUntil(lambda: "photo histdip signal" in viewer.layers, timeout=WAIT_MS)
    record = viewer.layers["photo histdip signal"].metadata["histdip"]
    assert record["run"]["threshold"] == 60.0 and record["histdip_config"]["seed"] == 4
    assert "photo histdip recording" not in viewer.layers  # a given T learns no split


def test_cancel_stops_the_fit_and_adds_nothing(viewer_and_widget, qtbot):
    viewer, widget = viewer_and_widget
    widget.iterations.value = 100_000
    before = set(layer.name for layer in viewer.layers)
    widget._steps.step.connect(lambda k, loss: k == 2 and widget.cancel())
    widget.start()
    wait_idle(qtbot, widget)
    assert widget.status.value.startswith("cancelled at step")
    assert widget.progress.value < 10
    assert set(layer.name for layer in viewer.layers) == before


def test_a_stack_is_refused_in_one_line(viewer_and_widget, qtbot, monkeypatch):
    viewer, widget = viewer_and_widget
    shown = []
    monkeypatch.setattr("histdip.napari.widget.show_error", shown.append)
    viewer.add_image(np.zeros((3, 40, 40), np.uint8), name="stack")
    widget.image.value = viewer.layers["stack"]
    assert widget.start() is None
    assert len(shown) == 1 and "stack" in shown[0] and "2-D" in shown[0] and "\n" not in shown[0]
    assert widget.status.value.startswith("error: layer 'stack'")
    assert not widget.running


def test_a_bad_setting_is_a_notification_not_a_traceback(viewer_and_widget, qtbot, monkeypatch):
    viewer, widget = viewer_and_widget
    shown = []
    monkeypatch.setattr("histdip.napari.widget.show_error", shown.append)
    viewer.add_image(np.zeros((40, 40), np.uint8), name="black")  # nothing above any T
    widget.image.value = viewer.layers["black"]
    widget.threshold.value = 100.0
    widget.start()
    wait_idle(qtbot, widget)
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    assert shown[0].startswith("histdip: ") and "\n" not in shown[0]
    assert "black histdip signal" not in viewer.layers


def test_the_viewer_opens_a_record_and_saves_a_result_through_the_plugin(make_napari_viewer, tmp_path):
    from histdip.napari.run import restore_with_progress, result_layers

    viewer = make_napari_viewer()
    [sample] = viewer.open_sample("histdip", "beads")
    assert sample.rgb and sample.data.shape == (1200, 900, 3)
    result = restore_with_progress(beads((64, 64)), {"threshold": 50.0, "iterations": 3,
                                                     "stopping": {"rule": "fixed"}})
    for data, meta, kind in result_layers(result, "p"):
        viewer.add_layer(Layer.create(data, meta, kind))
    saved = viewer.layers["p histdip signal"].save(str(tmp_path / "p.tif"), plugin="histdip")
    assert saved == [str(tmp_path / "p_histdip.tif"), str(tmp_path / "p_histdip.json")]
    [opened] = viewer.open(tmp_path / "p_histdip.json", plugin="histdip")
    assert opened.name == "p_histdip"
    assert opened.metadata["histdip"]["run"]["threshold"] == 50.0
    # a layer without a record is napari's own to save: histdip's writer does not take it
    plain = viewer.add_image(np.zeros((8, 8), np.float32), name="plain")
    assert plain.save(str(tmp_path / "plain.tif")) == [str(tmp_path / "plain.tif")]
    assert not (tmp_path / "plain_histdip.json").exists()
