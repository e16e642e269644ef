"""Restoring a 1-D sensor trace: baseline + events + noise, with the image path's stages.

A trace is modelled as a smooth baseline, sparse events on one side of it, and noise:

1. the noise, read from the trace (:func:`histdip.noise.estimate_noise`, 1-D);
2. which side the events lie on (:func:`.polarity.read_polarity`, or ``polarity``);
3. the baseline, the lower envelope of the trace turned so that events rise
   (:func:`histdip.prior.envelope.trace_envelope`);
4. the split of what rises above it into events and noise, learned from its histogram
   at several smoothing widths (:func:`histdip.prior.learn_split`);
5. the skip network with 1-D convolutions fitted to the gated events through the 1-D
   forward model, on random crops, stopped by the noise-level rule
   (:class:`~histdip.networks.SkipNet`, :func:`~histdip.physics.build_physics`,
   :class:`~histdip.fit.TraceCrops`, :class:`~histdip.fit.NoiseLevelStopper`,
   :func:`~histdip.fit.fit`).

The restored trace is baseline + events; the noise layer is what is left.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy import ndimage

from ..config import RestoreConfig
from ..devices import resolve_device
from ..errors import InputError
from ..fit import NoiseLevelStopper, PlateauStopper, TraceCrops, WholeImage, fit
from ..networks import SkipNet
from ..noise import GaussianNoise, estimate_noise
from ..physics import build_physics
from ..predict import predict_eval
from ..tensors import pad_axis
from ..prior import learn_split
from ..prior.envelope import trace_envelope
from .polarity import read_polarity

#: Baseline smoothness (samples, a Gaussian sigma) when ``background_radius`` is
#: ``auto``: longer than the events, shorter than the drift.
BASELINE_SCALE = 400.0

#: Smoothing widths (samples) at which the split is learned; a sample's gate is the
#: largest: a long, dim step rises out of the noise only when averaged over its length.
SPLIT_SCALES = (0.0, 1.0, 2.0, 4.0, 8.0)

#: A crop is this many times ``patch_size`` samples (a 128-pixel square crop holds
#: 16 384 pixels; a trace's events are long and thin).
CROP_PER_PATCH = 16

#: The network's output is on [0, 1]; the events are fitted at this share of it.
HEADROOM = 0.8

#: Fewest samples a trace may have.
MIN_SAMPLES = 64


@dataclass(frozen=True, eq=False)
class TraceResult:
    """A restored trace and its three layers (all in the trace's units, (L,)).

    Attributes
    ----------
    restored : ndarray
        baseline + events.
    baseline, events, noise : ndarray
        The layers; ``baseline + events + noise`` is the input exactly.
    polarity : {'bright', 'dark'}
    sigma : float
        The noise standard deviation read from the trace.
    split : dict
        The learned split (T, softness, background class), in noise deviations.
    iterations : int
    stop_reason : str
    seconds : float
    """

    restored: np.ndarray
    baseline: np.ndarray
    events: np.ndarray
    noise: np.ndarray
    polarity: str
    sigma: float
    split: dict = field(default_factory=dict)
    iterations: int = 0
    stop_reason: str = ""
    seconds: float = 0.0
    event_share: float = 0.0
    polarity_source: str = "given"

    def record(self):
        """The run record: what was read from the trace and how the fit went."""
        return {"polarity": self.polarity, "polarity_source": self.polarity_source, "noise_sigma": self.sigma,
                "split": self.split, "event_share": self.event_share, "iterations": self.iterations,
                "stop_reason": self.stop_reason, "seconds": round(self.seconds, 3), "samples": int(self.restored.size)}

    def summary(self):
        return (f"{self.polarity} events ({self.polarity_source}), {100 * self.event_share:.2g} % of samples, "
                f"{self.iterations} steps, {self.stop_reason.split(':')[0]}")


def check_trace(trace):
    """``trace`` as a finite 1-D float64 array of at least :data:`MIN_SAMPLES` samples,
    or an :class:`~histdip.errors.InputError` of one line."""
    x = np.asarray(trace)
    if x.dtype.kind not in "biuf":
        raise InputError(f"a trace must hold numbers, got dtype {x.dtype}")
    x = x.astype(np.float64)
    if x.ndim != 1:
        raise InputError(f"a trace is 1-D (L,), got shape {x.shape}; restore each column on its own")
    if x.size < MIN_SAMPLES:
        raise InputError(f"the trace has {x.size} samples; at least {MIN_SAMPLES} are needed")
    if not np.all(np.isfinite(x)):
        raise InputError(f"the trace holds NaN or infinity (first at sample {int(np.argmin(np.isfinite(x))) + 1})")
    return x


def event_gate(d, sigma, smooth=SPLIT_SCALES):
    """(split, gate): the split of ``d`` (the trace above its baseline) learned in noise
    deviations, and each sample's probability of being an event: the largest of the
    gates learned at each smoothing width in ``smooth``."""
    z = d / sigma
    split, gate = None, np.zeros_like(z)
    for width in smooth:
        g = ndimage.gaussian_filter1d(z, width, mode="nearest") if width > 0 else z
        # The baseline is known, so the background class is too: centred on it, as wide
        # as the noise (white noise smoothed over ``width``; slow noise keeps more, and
        # the class's share is still read from the samples below the baseline).
        spread = 1.0 if width <= 0 else max(1.0 / np.sqrt(2 * np.sqrt(np.pi) * width), _spread(g))
        sp = learn_split(g, background=(0.0, spread))
        gate = np.maximum(gate, sp.gate(g))
        split = split or sp
    return split, gate


def _spread(g):
    """The spread of ``g`` below zero (its background half, which events never reach)."""
    below = g[g < 0]
    return float(np.sqrt(np.mean(below**2))) if below.size >= 16 else 0.0


def trace_baseline(trace, sigma, polarity, scale=BASELINE_SCALE):
    """The baseline of ``trace`` under events of ``polarity``: its lower envelope
    (of the trace turned upside down for ``dark``), at smoothness ``scale`` samples."""
    sign = 1.0 if polarity == "bright" else -1.0
    noise = GaussianNoise(float(sigma))
    return sign * trace_envelope(sign * np.asarray(trace, dtype=np.float64), float(scale), noise=noise)


def restore_trace(trace, config=None, *, progress=False):
    """Restore the 1-D ``trace``: its baseline, its events and its noise.

    Parameters
    ----------
    trace : array_like, (L,)
        One channel of a sensor's time series, at least :data:`MIN_SAMPLES` samples.
    config : RestoreConfig, optional
        Read: ``polarity`` (``auto``: read from the trace), ``background`` (``none``: a
        flat baseline at the median) and ``background_radius`` (a number: the
        baseline's smoothness in samples), ``network``, ``physics``, ``stopping``,
        ``iterations``, ``lr``, ``ema``, ``patch_size``, ``batch_size``,
        ``foreground_crops``, ``seed``, ``device``.
    progress : bool

    Returns
    -------
    TraceResult
    """
    config = config or RestoreConfig()
    start = time.perf_counter()
    x = check_trace(trace)
    sigma = estimate_noise(x).sigma
    if not sigma > 0:  # a noiseless trace: the split still needs a unit
        sigma = max(1e-9, 1e-6 * float(np.ptp(x)))
    polarity, source = config.polarity, "given"
    if polarity == "auto":
        polarity, source = read_polarity(x, sigma), "read from the trace"
    sign = 1.0 if polarity == "bright" else -1.0
    if config.background == "none":
        baseline = np.full_like(x, np.median(x))
    else:
        scale = BASELINE_SCALE if config.background_radius == "auto" else float(config.background_radius)
        baseline = trace_baseline(x, sigma, polarity, scale)
    d = sign * (x - baseline)
    split, gate = event_gate(d, sigma)
    target = gate * np.clip(d, 0.0, None)
    peak = float(target.max())
    record = dict(polarity=polarity, polarity_source=source, sigma=float(sigma), event_share=float(gate.mean()),
                  split={k: float(v) * (sigma if k != "background_share" and k != "signal_share" else 1.0)
                         for k, v in split.to_dict().items()})
    if peak <= 0:  # nothing rises above the noise: the trace is its baseline
        events, iterations, reason = np.zeros_like(x), 0, "no events: nothing rises above the noise"
    else:
        unit = peak / HEADROOM
        out, iterations, reason = _fit_events(d, target / unit, gate > 0.5, sigma / unit, config, progress)
        events = out * unit
    events = sign * events
    restored = baseline + events
    return TraceResult(restored, baseline, events, x - restored, iterations=iterations, stop_reason=reason,
                       seconds=time.perf_counter() - start, **record)


def _fit_events(rise, target, mask, sigma, config, progress):
    """(events on [0, 1], steps, stop reason): the network fitted to ``target``.

    The network sees ``rise``, the trace above its baseline: its receptive field (about
    a hundred samples) is shorter than the baseline's drift, so given the trace itself
    it would take a high baseline for an event.
    """
    dev = resolve_device(config.device)
    torch.manual_seed(config.seed)
    physics = build_physics(config.physics.kind, config.physics.factor, config.physics.kernel,
                            GaussianNoise(float(sigma)), dims=1).to(dev)
    multiple = math.lcm(config.network.multiple, physics.factor)
    amounts = pad_axis(rise.size, multiple)
    lo, hi = float(rise.min()), float(rise.max())
    grey = (rise - lo) / max(hi - lo, 1e-12)

    def tensor(a):
        return torch.from_numpy(np.pad(a, amounts, mode="symmetric").astype(np.float32))[None, None].to(dev)

    net_input = tensor(grey)
    net = SkipNet(1, 1, config.network, dims=1).to(dev)
    with torch.no_grad():
        target_t = physics(tensor(target))
    crop = (config.patch_size or 0) * CROP_PER_PATCH // multiple * multiple
    n = net_input.shape[-1]
    padded_mask = np.pad(mask, amounts, mode="symmetric")
    if not crop or n <= crop:
        sampler, window = WholeImage(net_input, target_t), slice(0, n)
    else:
        margin = math.ceil(getattr(physics, "pad", 0) / physics.factor) + 1
        sampler = TraceCrops(net_input, target_t, crop, config.batch_size, physics.factor, margin, config.seed,
                             foreground=padded_mask, foreground_share=config.foreground_crops)
        window = _busiest_window(padded_mask, 2 * crop, multiple)
    stopper = _stopper(config.stopping, np.pad(target, amounts, mode="symmetric")[window],
                       sigma, padded_mask[window])
    probe = net_input[..., window]

    def check(model, _):
        return predict_eval(model, probe)[0, 0].cpu().numpy()

    result = fit(net, sampler, physics, iterations=config.iterations, lr=config.lr, ema=config.ema,
                 stopper=stopper, check=check if stopper is not None else None, progress=progress)
    out = predict_eval(result.model, net_input)[0, 0].cpu().numpy().astype(np.float64)
    return out[amounts[0] : n - amounts[1]], result.iterations, result.stop_reason


def _busiest_window(mask, size, multiple):
    """The window of ``size`` samples (a multiple of ``multiple``) holding the most of ``mask``."""
    n = mask.size
    size = max(multiple, min(size, n) // multiple * multiple)
    sums = np.convolve(mask.astype(np.float64), np.ones(size), mode="valid")
    starts = np.arange(0, n - size + 1, multiple)
    x = int(starts[np.argmax(sums[starts])])
    return slice(x, x + size)


def _stopper(stopping, target, sigma, weight):
    if stopping.rule == "fixed":
        return None
    if stopping.rule == "plateau":
        return PlateauStopper(stopping.check_every, stopping.tolerance, stopping.patience, stopping.min_iterations)
    variance = np.full(target.shape, float(sigma) ** 2)
    # A trace's fit creeps far above the noise level before the network takes the
    # events' edges; the short patience of a thresholded photo stopped it half-way
    # (steps at half their height), so it waits as an unthresholded fit does.
    return NoiseLevelStopper.from_config(stopping, target, variance, weight if weight.any() else None,
                                         thresholded=False)
