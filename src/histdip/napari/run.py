"""One restoration for the viewer: progress and cancellation on the way, layers at the end.

:func:`restore_with_progress` runs :func:`histdip.restore_detailed` with its per-step
``callback``, which reports each step and stops the fit when asked (the result then
says ``cancelled``). :func:`result_layers` turns the :class:`~histdip.Result` into napari
layer data, each layer carrying the run record as the JSON beside a ``histdip
restore`` output holds it. No Qt here: the widget runs the first in a worker thread.
"""

from __future__ import annotations

import numpy as np

from .. import __version__
from ..config import SCHEMA_VERSION
from ..fit import SnapshotPlan
from ..pipeline import restore_detailed

__all__ = ["CANCELLED", "SNAPSHOT_LIMIT", "is_cancelled", "restore_with_progress", "result_layers", "run_record"]

#: How a cancelled fit's stop reason begins (:func:`histdip.fit.fit`).
CANCELLED = "cancelled"

#: At most this many snapshots are kept, evenly spaced over the fit
#: (:class:`histdip.fit.SnapshotPlan`): the stack stays a few hundred MB at most
#: on a 12 MP photo however long the fit runs.
SNAPSHOT_LIMIT = 20


def restore_with_progress(image, settings, *, snapshot_every=0, on_step=None, should_stop=None):
    """Restore ``image`` with ``settings``, reporting each step and stopping when asked.

    Parameters
    ----------
    image : ndarray, (H, W) or (H, W, 3)
    settings : dict
        :class:`~histdip.RestoreConfig` fields (:func:`histdip.napari.preview.run_settings`).
    snapshot_every : int
        Keep the output every this many steps (0: none), at most :data:`SNAPSHOT_LIMIT`
        of them, thinned evenly as the fit goes on.
    on_step : callable, optional
        ``on_step(step, loss)`` after every step (called from the fitting thread).
    should_stop : callable, optional
        ``should_stop() -> bool``, asked after every step: true stops the fit, whose
        stop reason then begins with :data:`CANCELLED`.

    Returns
    -------
    histdip.Result

    Examples
    --------
    >>> img = np.zeros((64, 64), np.uint8); img[20:30, 20:30] = 200
    >>> steps = []
    >>> r = restore_with_progress(img, {"threshold": 100.0, "iterations": 3, "stopping": {"rule": "fixed"}},
    ...                           on_step=lambda k, loss: steps.append(k), should_stop=lambda: len(steps) == 2)
    >>> steps, is_cancelled(r)
    ([1, 2], True)
    """

    def callback(step, loss):
        if on_step is not None:
            on_step(step, loss)
        return bool(should_stop is not None and should_stop())

    plan = SnapshotPlan(every=int(snapshot_every), limit=SNAPSHOT_LIMIT) if snapshot_every else 0
    return restore_detailed(image, callback=callback, snapshots=plan, **settings)


def is_cancelled(result):
    """Whether ``result``'s fit was stopped by its caller."""
    return result.fit is not None and result.stop_reason.startswith(CANCELLED)


def run_record(result, source):
    """The mapping a ``histdip restore`` JSON holds, for a run made in the viewer.

    ``source`` names the layer restored; ``output`` is None until the writer saves a
    layer (:func:`histdip.napari.files.write_histdip`).
    """
    return {"histdip_config_version": SCHEMA_VERSION, "histdip_config": result.config.to_dict(),
            "run": result.record(), "input": source, "output": None, "histdip_version": __version__}


def result_layers(result, source):
    """The layers of ``result``, as napari layer data tuples ``(data, meta, kind)``.

    The signal (the restored image where no split was learned), the denoised recording
    and the background where one was (the background hidden), the mask as labels, and
    the snapshots as one stack whose first axis is the step. Each layer's ``metadata``
    holds the run record under ``histdip`` (:func:`run_record`) and its own name under
    ``histdip_layer``; the stack's also holds ``histdip_steps``, the step of each plane.

    Parameters
    ----------
    result : histdip.Result
    source : str
        The name of the restored layer: the layers are named ``"<source> histdip <layer>"``.

    Returns
    -------
    list of tuple
    """
    record = run_record(result, source)
    rgb = result.image.ndim == 3

    def meta(layer, **more):
        return {"name": f"{source} histdip {layer}", "metadata": {"histdip": record, "histdip_layer": layer},
                **more}

    image_kw = {"rgb": rgb} if rgb else {"colormap": "gray"}
    if result.layers is not None:
        images = [("signal", result.layers["signal"], {}), ("recording", result.layers["recording"], {}),
                  ("background", result.layers["background"], {"visible": False})]
        # The primary layer is what `histdip restore` writes as the output: on top.
        images.sort(key=lambda item: item[0] == result.primary_layer)
    else:
        images = [("signal", result.image, {})]
    out = [(np.asarray(data), meta(name, **image_kw, **kw), "image") for name, data, kw in images]
    out.insert(0, (np.asarray(result.mask, dtype=np.uint8), meta("mask", opacity=0.4, visible=False), "labels"))
    if result.snapshots:
        steps = [int(k) for k, _ in result.snapshots]
        stack = np.stack([np.asarray(a, dtype=np.float32) for _, a in result.snapshots])
        m = meta("fit", **image_kw, visible=False, axis_labels=("snapshot", "y", "x"))
        m["metadata"]["histdip_steps"] = steps
        out.insert(1, (stack, m, "image"))
    return out
