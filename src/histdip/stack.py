"""Restoring a stack (time-lapse, z-stack, channels) plane by plane: :func:`restore_stack`.

Neighbouring planes of a time-lapse or a z-stack show nearly the same structure, so each
plane's fit starts from the network fitted on the plane before it, for the few fixed
steps of :func:`histdip.series.warm_config`, instead of from the seed
(docs/decisions/series-warm-start.md). Channels are different stains, with their own
background, noise and split: each channel starts with a cold fit of its own first plane
and its planes warm-start only from planes of the same channel. Colour samples (the
``S`` axis of an RGB image) stay part of one plane, as for a photo.

The order is the array's: for ``TZCYX`` the planes of channel 0 go ``t0 z0``, ``t0 z1``,
..., ``t1 z0`` ..., each from the one before; then channel 1 from its own cold start.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import numpy as np

from .config import resolve_config
from .errors import HistdipError, InputError
from .fitted_model import FittedModel
from .layers import LAYER_NAMES
from .pipeline import restore_detailed
from .progress import open_progress
from .series import warm_config
from .validate import MIN_SIDE

#: Most channels restored in one stack: each costs a cold fit, and a longer C axis is
#: more likely a spectral or time axis written as C than stains.
MAX_CHANNELS = 8

#: Axes every plane ends with: grey, or colour samples.
PLANE_AXES = ("YX", "YXS")


@dataclass(frozen=True, eq=False)
class StackResult:
    """A restored stack and how each plane was obtained.

    Attributes
    ----------
    image : ndarray, float32
        The restored stack, axes :attr:`axes`: the input's shape, except that colour
        samples (``S``) restored into one grey plane are dropped, as for a photo.
    axes : str
        One letter per axis of :attr:`image`.
    records : tuple of dict
        One per plane, in the order they were restored: ``plane`` (e.g. ``"t=1 c=0"``),
        ``index`` (position along each axis, lower-case letters), then the plane's run
        record (:meth:`histdip.result.Result.record`, without the loss curve):
        ``threshold``, ``iterations``, ``stop_reason``, ``warm_start`` ...
    config : RestoreConfig
        The settings of every channel's first, cold plane (warm planes run
        :func:`histdip.series.warm_config` of that plane's resolved settings).
    layers : dict or None
        With a learned split: ``signal``, ``recording`` and ``background`` stacks shaped
        as :attr:`image`.
    seconds : float
        Wall-clock of the whole stack.
    """

    image: np.ndarray
    axes: str
    records: tuple
    config: object
    layers: dict | None = None
    seconds: float = 0.0

    def summary(self):
        """One line: planes, cold and warm fits, steps in all."""
        if self.records and self.records[0].get("volume") == "3d":
            steps = sum(int(r.get("iterations") or 0) for r in self.records)
            return (f"{len(self.records)} volume(s) ({self.axes}) by one 3-D network each, "
                    f"{self.records[0]['anisotropy']['reason']}, {steps} iterations in all")
        warm = sum(1 for r in self.records if r.get("warm_start"))
        steps = sum(int(r.get("iterations") or 0) for r in self.records)
        return (f"{len(self.records)} planes ({self.axes}), {len(self.records) - warm} cold and {warm} warm-started "
                f"fits, {steps} iterations in all")


@dataclass(frozen=True)
class _Plan:
    lead: tuple  # sizes of the axes before the plane
    channel: int | None  # position of C among them


def restore_stack(array, axes, config=None, *, progress=False, spacing=None, **overrides):
    """Restore every plane of a stack; the first of each channel cold, the rest warm.

    With ``volume='3d'`` the Z axis is restored by one 3-D network per volume instead
    (:func:`histdip.volume.restore_volume`; T and C still one after another, each
    volume cold), and ``spacing`` (dz, dy, dx in µm, from the file's metadata) decides
    whether z is anisotropic.

    Parameters
    ----------
    array : ndarray
        The stack in its own units (uint8, uint16 or float), axes as ``axes``.
    axes : str
        One letter per axis, tifffile's: ending in ``YX`` (grey planes) or ``YXS``
        (colour samples); ``C`` is a channel axis (at most :data:`MAX_CHANNELS`, not
        together with ``S``); any other letter (``T``, ``Z``, ...) is a sequence of planes.
    config : RestoreConfig, path or None
        Settings of each channel's first plane; by default the ``fast`` preset.
    progress : bool
        Show the progress across planes: a bar on a terminal, a few lines in a log.
    spacing : tuple of float, optional
        (dz, dy, dx) in µm; read only with ``volume='3d'``.
    **overrides
        Any :class:`~histdip.config.RestoreConfig` field (``iterations=``, ``seed=``...).

    Returns
    -------
    StackResult

    Raises
    ------
    InputError
        Axes that do not fit the array or are unsupported, in one line; an error on
        one plane names the plane.

    Examples
    --------
    >>> import numpy as np
    >>> stack = np.zeros((2, 32, 32), np.uint8); stack[:, 10:20, 10:20] = 200
    >>> restore_stack(stack, "TYX", method="threshold", threshold=100).image.shape
    (2, 32, 32)
    """
    start = time.perf_counter()
    array = np.asarray(array)
    plan = _plan(array.shape, axes)
    config = resolve_config(config, **overrides)
    lead_axes = axes[: len(plan.lead)]
    if config.volume == "3d":
        if array.ndim - len(plan.lead) == 3:
            raise InputError(f"axes {axes!r}: volume='3d' restores grey planes; this stack has colour samples (S)")
        return _restore_volumes(array, lead_axes.upper(), plan, config, spacing, progress, start)
    channels = range(plan.lead[plan.channel]) if plan.channel is not None else [None]
    outer = tuple(n for i, n in enumerate(plan.lead) if i != plan.channel)
    out = layers = out_axes = None
    records = []
    with _progress(int(np.prod(plan.lead)), "planes", "plane", show=progress) as bar:
        for channel in channels:
            prev = prev_label = warm = None
            for position in np.ndindex(*outer):
                index = _full_index(position, channel, plan.channel)
                label = " ".join(f"{a.lower()}={i}" for a, i in zip(lead_axes, index))
                with _on_plane(label):
                    if prev is None or prev.fit is None:  # a channel's first plane, or nothing fitted
                        result = restore_detailed(array[index], config)
                    else:
                        start_from = FittedModel.from_result(prev, source=f"plane {prev_label}")
                        result = restore_detailed(array[index], warm, warm_start=start_from)
                if warm is None and result.fit is not None:
                    warm = warm_config(result.config)
                if out is None:
                    out_axes = lead_axes + ("YXS" if result.image.ndim == 3 else "YX")
                    out = np.empty(plan.lead + result.image.shape, np.float32)
                    if result.layers is not None:
                        layers = {name: np.empty(plan.lead + np.shape(result.layers[name]), np.float32)
                                  for name in LAYER_NAMES}
                out[index] = result.image
                if layers is not None:
                    for name, stack in layers.items():
                        stack[index] = result.layers[name]
                record = {k: v for k, v in result.record().items() if k != "curve"}
                records.append({"plane": label, "index": dict(zip(lead_axes.lower(), index)), **record})
                prev, prev_label = result, label
                if bar is not None:
                    bar.update(1)
    return StackResult(image=out, axes=out_axes, records=tuple(records), config=config, layers=layers,
                       seconds=time.perf_counter() - start)


@contextlib.contextmanager
def _progress(total, what, unit, *, show):
    """A bar over ``total`` planes or volumes (None unless ``show``), closed as
    interrupted when the work stops early."""
    bar = open_progress(total, what, unit, leave=True) if show else None
    finished = False
    try:
        yield bar
        finished = True
    finally:
        if bar is not None:
            bar.close(None if finished else "interrupted")


def _restore_volumes(array, lead_axes, plan, config, spacing, progress, start):
    """``volume='3d'``: every Z volume by one 3-D network, T and C one after another."""
    from .volume import restore_volume

    if "Z" not in lead_axes:
        raise InputError(f"axes {lead_axes}YX have no Z axis: volume='3d' restores z-stacks; "
                         "restore this stack plane by plane (--volume planes)")
    zpos = lead_axes.index("Z")
    if plan.lead[zpos] < 2:
        raise InputError(f"the Z axis has {plan.lead[zpos]} plane: volume='3d' needs at least 2; "
                         "restore it plane by plane (--volume planes)")
    outer_axes = lead_axes[:zpos] + lead_axes[zpos + 1:]
    outer = plan.lead[:zpos] + plan.lead[zpos + 1:]
    out = np.empty(array.shape, np.float32)
    layers = {name: np.empty(array.shape, np.float32) for name in LAYER_NAMES}
    records = []
    with _progress(int(np.prod(outer)), "volumes", "volume", show=progress) as bar:
        for position in np.ndindex(*outer):
            index = tuple(position[:zpos]) + (slice(None),) + tuple(position[zpos:])
            label = " ".join(f"{a.lower()}={i}" for a, i in zip(outer_axes, position)) or "volume"
            with _on_plane(label):
                result = restore_volume(array[index], config, spacing=spacing)
            out[index] = result.image
            for name in LAYER_NAMES:
                layers[name][index] = result.layers[name]
            records.append({"plane": f"{label} (all {plan.lead[zpos]} z planes)",
                            "index": dict(zip(outer_axes.lower(), position)), **result.record})
            if bar is not None:
                bar.update(1)
    return StackResult(image=out, axes=lead_axes + "YX", records=tuple(records), config=config, layers=layers,
                       seconds=time.perf_counter() - start)


def _plan(shape, axes):
    """Check ``axes`` against ``shape``; what to loop over."""
    axes = str(axes).upper()
    if len(axes) != len(shape):
        raise InputError(f"axes {axes!r} name {len(axes)} axes but the stack has {len(shape)} (shape {shape})")
    if len(set(axes)) != len(axes):
        raise InputError(f"axes {axes!r} repeat a letter")
    ending = next((p for p in PLANE_AXES[::-1] if axes.endswith(p)), None)
    if ending is None or any(a in "YXS" for a in axes[: -len(ending)]):
        raise InputError(f"axes {axes!r}: histdip restores planes stored last, as Y X (grey) or Y X S (colour)")
    if "C" in axes and "S" in axes:
        raise InputError(f"axes {axes!r}: a stack with both channels (C) and colour samples (S) is not supported; "
                         "save the colours as channels")
    if any(n == 0 for n in shape):
        raise InputError(f"the stack has no planes (shape {shape})")
    height, width = shape[axes.index("Y")], shape[axes.index("X")]
    if min(height, width) < MIN_SIDE:
        raise InputError(f"planes are only {width}x{height} pixels; histdip needs at least {MIN_SIDE}x{MIN_SIDE}")
    lead = tuple(shape[: len(axes) - len(ending)])
    channel = axes.index("C") if "C" in axes else None
    if channel is not None and shape[channel] > MAX_CHANNELS:
        raise InputError(f"{shape[channel]} channels: histdip restores at most {MAX_CHANNELS} (each gets its own fit); "
                         "save fewer channels per file, or label a spectral or time axis as such")
    return _Plan(lead=lead, channel=channel)


def _full_index(position, channel, channel_axis):
    if channel_axis is None:
        return tuple(position)
    return tuple(position[:channel_axis]) + (channel,) + tuple(position[channel_axis:])


@contextlib.contextmanager
def _on_plane(label):
    # The pipeline knows nothing of stacks: say which plane an error is about.
    try:
        yield
    except HistdipError as err:
        raise type(err)(f"plane {label}: {err}") from None
