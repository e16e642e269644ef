"""The histdip dock widget: pick a layer, a channel and T, see the mask, restore.

The mask is redrawn as T moves (:func:`histdip.napari.preview.mask_preview`, in a worker
thread, the latest request winning); the restoration runs in another worker
(:func:`histdip.napari.run.restore_with_progress`), reporting every step to the progress
bar and stopping at the next step when Cancel is pressed. The viewer never waits on
either. A user's mistake (a layer histdip cannot restore, a bad setting) is one line
in a napari notification and in the widget's status line.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from magicgui.widgets import CheckBox, ComboBox, Container, FloatSlider, Label, ProgressBar, PushButton, SpinBox
from napari.layers import Image, Layer
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_info
from napari.viewer import Viewer
from qtpy.QtCore import QObject, QTimer, Signal

from ..colour import CHANNEL_NAMES
from ..config import RestoreConfig
from ..errors import HistdipError, InputError
from .preview import mask_preview, run_settings
from .run import is_cancelled, restore_with_progress, result_layers

__all__ = ["PREVIEW_NAME", "RestoreWidget", "UserMistake", "layer_image", "returning_user_errors"]

#: The name of the labels layer that shows the mask while T moves.
PREVIEW_NAME = "histdip mask preview"

#: Milliseconds the mask waits for T to stop moving before it is recomputed: a drag of
#: the slider asks once, not once a pixel.
PREVIEW_DELAY_MS = 150

#: The dock's widest, in pixels: the canvas keeps the rest of the window.
MAX_WIDTH = 420


def layer_image(layer):
    """The array histdip restores from an image layer: (H, W) grey or (H, W, 3) colour.

    Raises
    ------
    histdip.InputError
        A layer that is not one 2-D image (a stack, a volume), in one line.
    """
    data = np.asarray(layer.data)
    if layer.rgb:
        return data[..., :3]  # napari's RGBA: histdip reads colour, as read_image drops alpha
    if data.ndim != 2:
        raise InputError(f"layer {layer.name!r} is {data.ndim}-D {data.shape}; histdip restores one 2-D image "
                         "(grey or RGB): split the stack into single images first")
    return data


@dataclass(frozen=True)
class UserMistake:
    """A :class:`~histdip.HistdipError` a worker returns instead of raising."""

    error: HistdipError


def returning_user_errors(func):
    """``func`` returning a :class:`UserMistake` where it would raise a histdip error.

    napari's workers hand any exception (and any exception returned) to its notification
    manager with the traceback attached; a user's mistake is shown in one line instead
    (:meth:`RestoreWidget._report`), and only bugs keep their traceback.
    """

    def call(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except HistdipError as err:
            return UserMistake(err)

    return call


class _StepSignal(QObject):
    """Carries the fit's steps from the worker thread to the widget's (a queued signal)."""

    step = Signal(int, float)


class RestoreWidget(Container):
    """The dock widget of histdip's restoration.

    Parameters
    ----------
    napari_viewer : napari.viewer.Viewer
        The viewer whose image layers it restores (napari passes it).

    Notes
    -----
    The controls, top to bottom: ``image`` (the layer), ``channel`` (the plane restored,
    ``auto`` as histdip chooses), ``auto T`` (histdip's own threshold), ``T`` (the
    paper's threshold on the 0-255 grey; moving it turns ``auto T`` off), the mask's
    T and foreground share, ``max steps`` (the fit's cap; it stops by itself before),
    ``seed``, ``snapshot every`` (0: no snapshots), Restore and Cancel, the progress
    bar and the status line.
    """

    def __init__(self, napari_viewer: Viewer):
        # napari passes the viewer by this parameter's name (its convention for plugins).
        viewer = self._viewer = napari_viewer
        defaults = RestoreConfig()
        self.image = ComboBox(label="image", choices=self._image_choices,
                              tooltip="the image layer to restore (grey or RGB, 2-D)")
        self.channel = ComboBox(label="channel", choices=list(CHANNEL_NAMES), value="auto",
                                tooltip="the plane restored: auto (histdip's choice), luma, red, green, blue, or rgb")
        self.auto_threshold = CheckBox(text="auto T (histdip's own split)", value=True,
                                       tooltip="let histdip learn the split of background and signal; "
                                       "moving T turns this off")
        self.threshold = FloatSlider(label="T", min=0.0, max=255.0, step=0.5, value=128.0,
                                     tooltip="the paper's T: the mask is grey > T on the raw BT.601 grey (0-255)")
        self.preview_text = Label(label="mask", value="")
        self.iterations = SpinBox(label="max steps", min=1, max=1_000_000, value=defaults.iterations,
                                  tooltip="the fit's cap on steps; it stops by itself when the output settles")
        self.seed = SpinBox(label="seed", min=0, max=2**31 - 1, value=defaults.seed,
                            tooltip="the network's seed: the same seed gives the same result")
        self.snapshot_every = SpinBox(label="snapshot every", min=0, max=100_000, value=25,
                                      tooltip="keep the output every this many steps, as one stacked layer (0: none)")
        self.run_button = PushButton(text="Restore")
        self.cancel_button = PushButton(text="Cancel", enabled=False)
        self.progress = ProgressBar(label="fit", min=0, max=defaults.iterations, value=0)
        self.status = Label(label="status", value="ready")
        super().__init__(widgets=[self.image, self.channel, self.auto_threshold, self.threshold, self.preview_text,
                                  self.iterations, self.seed, self.snapshot_every,
                                  Container(widgets=[self.run_button, self.cancel_button], layout="horizontal",
                                            labels=False),
                                  self.progress, self.status])
        # The mask's and the run's lines are long: wrapped, they do not widen the dock
        # over the canvas.
        for label in (self.preview_text, self.status):
            label.native.setWordWrap(True)
        self.native.setMaximumWidth(MAX_WIDTH)
        self._stop = threading.Event()
        self._worker = None
        self._previews = set()  # mask workers in flight
        self._closed = False
        self._preview_request = 0
        self._setting_threshold = False
        self._steps = _StepSignal()
        self._steps.step.connect(self._on_step)
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.update_preview)

        self.threshold.changed.connect(self._on_threshold_moved)
        for control in (self.image, self.channel, self.auto_threshold):
            control.changed.connect(self.schedule_preview)
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        events = viewer.layers.events
        for event in (events.inserted, events.removed, events.moved):
            event.connect(self._refresh_layers)
        self._refresh_layers()
        # A worker may finish after the dock is closed: its answer then goes nowhere.
        self.native.destroyed.connect(self._on_closed)

    def _on_closed(self, *_):
        self._closed = True
        self._timer.stop()
        self._stop.set()
        events = self._viewer.layers.events
        for event in (events.inserted, events.removed, events.moved):
            event.disconnect(self._refresh_layers)

    @property
    def busy(self):
        """Whether a restoration or a mask is being computed or waits to be."""
        return self._worker is not None or bool(self._previews) or self._timer.isActive()

    # -- the layer list ------------------------------------------------------------

    def _image_choices(self, _widget=None):
        # The preview and the results are image layers too, but not photos to restore.
        return [(layer.name, layer) for layer in self._viewer.layers
                if isinstance(layer, Image) and "histdip" not in layer.metadata]

    def _refresh_layers(self, event=None):
        self.image.reset_choices()

    # -- T and the mask --------------------------------------------------------------

    def _on_threshold_moved(self, value):
        if self._setting_threshold:
            return
        # A T chosen by hand overrides histdip's own.
        if self.auto_threshold.value:
            self.auto_threshold.value = False  # schedules the preview itself
        else:
            self.schedule_preview()

    def set_threshold(self, value):
        """Move the T slider without turning ``auto T`` off (the mask follows)."""
        self._setting_threshold = True
        try:
            self.threshold.value = float(value)
        finally:
            self._setting_threshold = False
        self.schedule_preview()

    def chosen_threshold(self):
        """T as the controls give it: None for histdip's own, else the slider's."""
        return None if self.auto_threshold.value else float(self.threshold.value)

    def settings(self):
        """The :class:`~histdip.RestoreConfig` fields the controls set."""
        return run_settings(channel=self.channel.value, threshold=self.chosen_threshold(),
                            iterations=self.iterations.value, seed=self.seed.value)

    def schedule_preview(self, *_):
        """Recompute the mask once the controls have been still for a moment."""
        self._timer.start()

    def update_preview(self):
        """Recompute the mask of the chosen layer now, in a worker thread."""
        layer = self.image.value
        if layer is None:
            return None
        try:
            image = layer_image(layer)
        except HistdipError as err:
            self._report(err)
            return None
        self._preview_request += 1
        request = self._preview_request
        worker = create_worker(returning_user_errors(mask_preview), image, channel=self.channel.value,
                               threshold=self.chosen_threshold(), _start_thread=False)
        worker.returned.connect(lambda preview: self._show_preview(request, layer, preview))
        worker.finished.connect(lambda: self._previews.discard(worker))
        self._previews.add(worker)
        worker.start()
        return worker

    def _show_preview(self, request, layer, preview):
        if request != self._preview_request or self._closed:
            return  # a newer T was asked for meanwhile, or the dock is gone
        if isinstance(preview, UserMistake):
            self._report(preview.error)
            return
        self.preview_text.value = preview.text
        mask = preview.mask.astype(np.uint8)
        if PREVIEW_NAME in self._viewer.layers:
            target = self._viewer.layers[PREVIEW_NAME]
            target.data = mask
            target.translate, target.scale = layer.translate[-2:], layer.scale[-2:]
        else:
            self._viewer.add_labels(mask, name=PREVIEW_NAME, opacity=0.5, translate=layer.translate[-2:],
                                    scale=layer.scale[-2:])
        if self.auto_threshold.value:
            self.status.value = "mask: histdip's own T"

    # -- the run ---------------------------------------------------------------------

    def start(self):
        """Restore the chosen layer in a worker thread; the worker, or None if refused."""
        if self._worker is not None:
            return None
        layer = self.image.value
        try:
            if layer is None:
                raise InputError("no image layer to restore: open a photo first")
            image = layer_image(layer)
        except HistdipError as err:
            self._report(err)
            return None
        settings = self.settings()
        self._stop.clear()
        self.progress.max, self.progress.value = settings["iterations"], 0
        self.status.value = f"restoring {layer.name}..."
        self.run_button.enabled, self.cancel_button.enabled = False, True
        worker = create_worker(returning_user_errors(restore_with_progress), image, settings,
                               snapshot_every=self.snapshot_every.value, on_step=self._steps.step.emit,
                               should_stop=self._stop.is_set, _start_thread=False)
        worker.returned.connect(lambda result: self._finished(layer, result))
        worker.finished.connect(self._idle)
        self._worker = worker
        worker.start()
        return worker

    def cancel(self):
        """Stop the running fit at its next step; nothing is added to the viewer."""
        if self._worker is not None:
            self._stop.set()
            self.status.value = "cancelling..."

    @property
    def running(self):
        """Whether a restoration is under way."""
        return self._worker is not None

    def _on_step(self, step, loss):
        self.progress.value = min(step, self.progress.max)
        if not self._stop.is_set():
            self.status.value = f"step {step} of at most {self.progress.max}, loss {loss:.3g}"

    def _finished(self, layer, result):
        if self._closed:
            return
        if isinstance(result, UserMistake):
            self._report(result.error)
            return
        if is_cancelled(result):
            self.status.value = f"cancelled at step {result.iterations}; nothing added"
            show_info(f"histdip: {self.status.value}")
            return
        for data, meta, kind in result_layers(result, layer.name):
            meta = {**meta, "translate": layer.translate[-2:], "scale": layer.scale[-2:]}
            if meta["name"] in self._viewer.layers:  # a rerun replaces its own layers
                self._viewer.layers.remove(meta["name"])
            self._viewer.add_layer(Layer.create(data, meta, kind))
        self.progress.value = self.progress.max
        self.status.value = f"done: {result.summary(short=True)}, {result.seconds:.1f} s"
        self._refresh_layers()

    def _idle(self):
        self._worker = None
        if not self._closed:
            self.run_button.enabled, self.cancel_button.enabled = True, False

    def _report(self, err):
        """A user's mistake in one line; anything else is a bug and keeps its traceback."""
        if not isinstance(err, HistdipError):
            raise err
        if self._closed:
            return
        self.status.value = f"error: {err}"
        show_error(f"histdip: {err}")
