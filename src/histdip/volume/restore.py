"""Restoring a z-stack with one 3-D network: :func:`restore_volume`.

The stages are the 2-D pipeline's, composed: each plane gets the background envelope,
the learned split and the noise estimate of :meth:`histdip.HistDip.prepare` (the
primary layer is decided once, on the plane with the most light above its background,
and held for every plane), then one 3-D skip network is fitted to the stacked target
through a 3-D forward model, on 3-D crops, and stopped by the noise-level rule.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..config import resolve_config
from ..errors import ConfigError, InputError, MemoryBudgetError, NoSignalError
from ..fit import NoiseLevelStopper, PlateauStopper, fit
from ..layers import layers_from_recording
from ..memory import memory_budget
from ..networks import SkipNet
from ..noise import GaussianNoise
from ..physics import build_physics
from ..pipeline import HistDip, learns_split
from ..validate import MIN_SIDE, check_array, intensity_range
from .grid import (VolumeCrops, as_tensor, crop_size, pad_volume, plan_geometry, predict_volume, probe_slices,
                   unpad_volume, volume_padding)

#: Bytes per voxel a restoration holds beside the input: the unit volume, grey, signal,
#: target, background, variance, mask, the padded network input and target, the output
#: and three layers (float32 or float64).
BYTES_PER_VOXEL = 80


@dataclass(frozen=True, eq=False)
class VolumeResult:
    """A volume restored by one 3-D network.

    Attributes
    ----------
    image : ndarray, float32, (Z, Y, X)
        The primary layer on the input's scale.
    layers : dict
        ``signal``, ``recording`` and ``background`` volumes shaped as :attr:`image`.
    record : dict
        The run: ``iterations``, ``stop_reason``, ``primary``, per-plane ``thresholds``,
        ``anisotropy`` (ratio, whether z was kept, why), ``crop``, ``seconds``...
    config : RestoreConfig
        The settings, ``primary`` decided.
    seconds : float
    """

    image: np.ndarray
    layers: dict
    record: dict
    config: object
    seconds: float

    def summary(self):
        """One line: primary layer, anisotropy handling, steps and why the fit stopped."""
        r = self.record
        return (f"3-D network over {r['shape'][0]} planes, primary {r['primary']}, {r['anisotropy']['reason']}, "
                f"{r['iterations']} iterations, {r['stop_reason']}")


def restore_volume(array, config=None, *, spacing=None, progress=False, **overrides):
    """Restore a (Z, Y, X) volume with one 3-D network.

    Parameters
    ----------
    array : ndarray, (Z, Y, X)
        Grey planes in their own units (uint8, uint16 or float), at least 2 of them.
    config : RestoreConfig, path or None
        Settings (by default the ``fast`` preset); the learned split of ``hist-dip``.
    spacing : tuple of float, optional
        (dz, dy, dx) in µm. A z step at least
        :data:`~histdip.volume.grid.ANISOTROPY_LIMIT` times the pixel keeps z at every
        scale of the network; None: taken as isotropic.
    progress : bool
        Show the fit's progress.
    **overrides
        Any :class:`~histdip.config.RestoreConfig` field.

    Returns
    -------
    VolumeResult

    Raises
    ------
    InputError
        Not three axes, fewer than 2 planes, planes under 8 x 8, NaN or infinite values.
    ConfigError
        Settings that do not learn a split (``method='threshold'``, ``dip``, a given T).
    MemoryBudgetError
        A volume whose arrays alone would not fit the memory budget.
    NoSignalError
        No plane has light above its background.

    Examples
    --------
    >>> import numpy as np
    >>> from histdip.simulate.volume import simulate_volume
    >>> v = simulate_volume((8, 32, 32), n_beads=4, seed=0)
    >>> restore_volume(v.volume, iterations=2).image.shape
    (8, 32, 32)
    """
    start = time.perf_counter()
    config = resolve_config(config, **overrides)
    volume = check_volume(array)
    if not learns_split(config) or config.method != "hist-dip":
        raise ConfigError("volume='3d' fits the learned split (method hist-dip, threshold learned); "
                          "restore other settings plane by plane (volume='planes')")
    need = volume.size * BYTES_PER_VOXEL
    budget = memory_budget(config.max_memory)
    if need > budget.bytes:
        raise MemoryBudgetError(f"a {'x'.join(map(str, volume.shape))} volume needs about {need / 2**30:.1f} GiB "
                                f"for the 3-D fit, over {budget.source} ({budget.bytes / 2**30:.1f} GiB); "
                                "restore it plane by plane (volume='planes') or crop it")
    lo, hi = intensity_range(volume)
    unit = (volume.astype(np.float64) - lo) / (hi - lo)
    stages = plane_stages(unit, config)
    geometry = plan_geometry(unit.shape, spacing, config.network, config.physics)
    torch.manual_seed(config.seed)
    fitted, fit_record = _fit(stages, geometry, stages.config, progress=progress)
    out = fitted / stages.gain
    layers = _layers(stages, out)
    keep_offset = stages.primary == "recording"
    scale = hi - lo
    image = (out * scale + (lo if keep_offset else 0.0)).astype(np.float32)
    layers = {"signal": (layers[0] * scale).astype(np.float32),
              "recording": (layers[1] * scale + lo).astype(np.float32),
              "background": (layers[2] * scale + lo).astype(np.float32)}
    seconds = time.perf_counter() - start
    record = {
        "volume": "3d", "shape": list(volume.shape), "spacing_um": None if spacing is None else list(spacing),
        "anisotropy": {"ratio": geometry.ratio, "keep_z": geometry.keep_z, "reason": geometry.reason},
        "primary": stages.primary, "thresholds": [round(float(t), 3) for t in stages.thresholds],
        "reference_plane": stages.reference, "target_gain": float(stages.gain), **fit_record,
        "seconds": round(seconds, 3),
    }
    return VolumeResult(image, layers, record, stages.config, seconds)


def check_volume(array):
    """``array`` as a checked (Z, Y, X) volume; :class:`InputError` in one line if not."""
    shape = np.shape(array)
    if len(shape) != 3:
        raise InputError(f"a volume has three axes (Z, Y, X); this array has {len(shape)} (shape {shape})")
    if shape[0] < 2:
        raise InputError(f"a volume of {shape[0]} plane cannot be restored in 3-D; it needs at least 2 planes "
                         "(restore a single plane as an image)")
    if min(shape[1:]) < MIN_SIDE:
        raise InputError(f"planes are only {shape[2]}x{shape[1]} pixels; histdip needs at least {MIN_SIDE}x{MIN_SIDE}")
    array = np.asarray(array)
    # The planes side by side: check_array's type and NaN checks, one plane tall.
    check_array(array.reshape(-1, shape[2]), name="volume", ndim=(2,))
    return array


@dataclass(frozen=True, eq=False)
class PlaneStages:
    """The 2-D stages of every plane, stacked: what the 3-D fit is given."""

    grey: np.ndarray
    target: np.ndarray
    mask: np.ndarray
    variance: np.ndarray
    background: np.ndarray
    thresholds: tuple
    primary: str
    reference: int
    thresholded: bool
    gain: float
    config: object
    smooth: float
    radius: float


def plane_stages(unit, config):
    """Each plane's background, learned split, target and noise variance (the 2-D
    pipeline's :meth:`~histdip.HistDip.prepare`), the primary layer decided once on the
    plane with the most light above its median."""
    above = np.array([float(np.sum(np.clip(p - np.median(p), 0, None))) for p in unit])
    reference = int(np.argmax(above))
    first = HistDip(config).prepare(unit[reference])
    decided = HistDip(first.config)
    grey, target, mask, variance, background, thresholds = [], [], [], [], [], []
    for z, plane in enumerate(unit):
        prep = first if z == reference else decided.prepare(plane)
        prior, planes = prep.prior, prep.planes
        back = prior.plane_background(planes)
        signal = np.maximum(planes.recorded - back, 0.0) if prior is prep.split_prior else planes.recorded
        try:
            target.append(prior.target(signal))
        except NoSignalError:  # a plane above or below every object: nothing to fit there
            target.append(np.zeros_like(signal))
        grey.append(prior.grey)
        mask.append(prior.mask)
        variance.append(prep.noise.variance_map(planes.recorded))
        background.append(back)
        thresholds.append(prior.threshold)
    target = np.stack(target)
    if not target.any():
        raise NoSignalError("no plane of the volume has light above its background: nothing to restore")
    # Always at unit peak (docs/decisions/signal-gain.md): a 16-bit stack's light sits
    # at a few thousandths of full scale, and a 3-D step (27 taps a filter) moves the
    # output further than a 2-D one; fitted as it was, the output jumped to 1, then sat
    # clipped at 0 for good.
    peak = float(target.max())
    gain = 1.0 / peak if 0 < peak < 1 else 1.0
    split = first.split_prior
    return PlaneStages(np.stack(grey), target, np.stack(mask), np.stack(variance), np.stack(background),
                       tuple(thresholds), first.config.primary, reference, bool(first.prior.zeroes_recording), gain,
                       first.config, split.smooth, split.background_radius or 25.0)


def _fit(stages, geometry, c, *, progress=False):
    """The fitted network's output over the whole volume (unit scale times the gain) and the fit's record."""
    amounts = volume_padding(stages.grey.shape, geometry)
    forward = build_physics(c.physics.kind, c.physics.factor, c.physics.kernel, GaussianNoise(), dims=3,
                            axes=geometry.axes)
    factors = getattr(forward, "factors", (1, 1, 1))
    net = SkipNet(c.input_channels, 1, c.network, dims=3, stride=geometry.stride)
    # The grey at unit peak, as the target: its scale carries no meaning for the network.
    grey = stages.grey / max(float(stages.grey.max()), 1e-12)
    net_input = as_tensor(pad_volume(grey, amounts)).repeat(1, c.input_channels, 1, 1, 1)
    target = pad_volume(stages.target * stages.gain, amounts)
    with torch.no_grad():
        target_t = forward(as_tensor(target))
    padded = net_input.shape[-3:]
    size = crop_size(padded, geometry, c.patch_size)
    margin = math.ceil(getattr(forward, "pad", 0) / max(factors)) + 1
    mask = pad_volume(stages.mask, amounts)
    batch = max(1, c.batch_size // 2)
    sampler = VolumeCrops(net_input, target_t, size, batch, factors, margin, seed=c.seed,
                          foreground=mask, share=c.foreground_crops)
    stopper, check = _stopping(c, stages, net_input, target, mask, amounts, size, geometry)
    # A third of the 2-D rate: a 3-D filter has three times the taps, and at the 2-D
    # rate the output of a 32^3 bead crop swung between 0 and 1 and stayed clipped at 0.
    lr = c.lr / 3.0
    result = fit(net, sampler, forward, iterations=c.iterations, lr=lr, ema=c.ema, stopper=stopper, check=check,
                 progress=progress)
    out = unpad_volume(predict_volume(result.model, net_input, geometry), amounts)
    return out, {"iterations": result.iterations, "stop_reason": result.stop_reason, "best_step": result.best_step,
                 "rewinds": [list(r) for r in result.rewinds],
                 "fit_seconds": round(result.seconds, 3), "crop": list(size), "batch": batch, "lr": lr,
                 "network_stride": list(geometry.stride) if isinstance(geometry.stride, tuple) else geometry.stride,
                 "final_loss": result.loss[-1] if result.loss else None}


def _stopping(c, stages, net_input, target, mask, amounts, size, geometry):
    """The stopping rule on a window of two crops a side with the most foreground."""
    rule = c.stopping.rule
    if rule == "fixed":
        return None, None
    window_size = (size[0], min(2 * size[1], net_input.shape[-2]), min(2 * size[2], net_input.shape[-1]))
    window = probe_slices(mask.astype(np.float64), window_size, geometry.multiple)
    probe = net_input[(..., *window)]

    def check(model, step_output):
        with torch.no_grad():
            return model(probe).detach().float().cpu().numpy()[0, 0]

    if rule == "plateau":
        s = c.stopping
        return PlateauStopper(s.check_every, s.tolerance, s.patience, s.min_iterations), check
    variance = pad_volume(stages.variance * stages.gain**2, amounts)[window].copy()
    weight = mask[window].astype(np.float64)
    stopper = NoiseLevelStopper.from_config(c.stopping, target[window].copy(), variance, weight,
                                            thresholded=stages.thresholded)
    return stopper, check


def _layers(stages, out):
    """(signal, recording, background) on [0, 1]: the fitted signal on each plane's
    background, or the fitted recording split again plane by plane."""
    if stages.primary == "recording":
        planes = [layers_from_recording(p, stages.radius, smooth=stages.smooth) for p in out]
        return tuple(np.stack([p[name] for p in planes]) for name in ("signal", "recording", "background"))
    signal = out.astype(np.float32)
    return signal, (signal + stages.background).astype(np.float32), stages.background.astype(np.float32)
