"""The HIST-DIP pipeline: one straight line through the stages.

    image -> validate -> planes (polarity read; brightfield inverted) -> threshold prior
          (sample='auto' decided) -> noise
          -> problem (network, forward model with its noise, target, sampler, stopper)
          -> fit -> output -> Result

:class:`HistDip` runs it with one configuration; :func:`restore` and
:func:`restore_detailed` are the plain-function faces.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .config import LEARNED, resolve_config, sample_settings
from .layers import layers_from_recording, layers_from_signal
from .memory import plan_memory
from .noise import GaussianNoise, estimate_noise
from .planes import read_planes
from .prior import choose_sample, decide_primary, threshold_prior
from .problem import build_problem, padding_for
from .result import Result
from .validate import require_signal, validate_image


@dataclass(frozen=True, eq=False)
class Prepared:
    """The first half of a run: planes, the prior and the settings it decided."""

    planes: object
    config: object
    prior: object
    choice: object = None
    noise: object = None
    #: With a learned split: the prior that holds it (the fitted prior, unless the
    #: recording is fitted whole), and the choice of the primary layer.
    split_prior: object = None
    primary: object = None


def learns_split(config):
    """Whether ``config`` learns the split (and so writes three layers)."""
    return config.threshold == LEARNED and config.method != "dip"


class HistDip:
    """A restorer with one configuration.

    Parameters
    ----------
    config : RestoreConfig, path or None
        Settings, a saved config file, or None for the default (``fast``) preset.
    **overrides
        Any :class:`~histdip.config.RestoreConfig` field, ``preset=`` or ``sample=``
        (:func:`histdip.config.resolve_config`).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((64, 64), np.uint8); img[20:30, 20:30] = 200
    >>> HistDip(method="threshold", threshold=100).restore(img).image.shape
    (64, 64)
    """

    def __init__(self, config=None, **overrides):
        self.config = resolve_config(config, **overrides)

    def prepare(self, image, *, config=None):
        """Validate ``image``, read its planes and build its threshold prior, deciding
        ``sample='auto'`` on the way. No fitting: what ``histdip threshold`` shows.
        ``config`` replaces the restorer's own (the settings a memory plan chose)."""
        config = self.config if config is None else config
        planes = read_planes(require_signal(validate_image(image)), channel=config.channel, polarity=config.polarity)
        if learns_split(config):
            return self._prepare_learned(planes, config)
        choice = noise = None
        if config.sample == "auto":
            luma_noise = estimate_noise(planes.luma)
            if planes.is_grey:
                noise = luma_noise  # the fitted plane is the grey: its noise, read once
            sigma = 255.0 * math.sqrt(float(np.mean(luma_noise.variance_map(planes.luma))))
            prior = _prior(planes, config)
            choice = choose_sample(planes.image.array, prior.grey, prior.threshold, sigma)
            config = config.replace(**sample_settings(choice.sample), sample=choice.sample)
            if choice.sample != "beads":
                prior = _prior(planes, config)
        else:
            prior = _prior(planes, config)
        return Prepared(planes.without_luma(), config, prior, choice, noise)

    @staticmethod
    def _prepare_learned(planes, config):
        # The split is learned on the background-removed grey; the primary layer follows
        # from the background (histdip.prior.primary); the recording is fitted whole.
        # The luma's noise, read once: the envelope's tolerance, the pedestal and (for a
        # grey image, whose luma is the fitted plane) the fit's noise model.
        noise = estimate_noise(planes.luma)
        split_prior = _prior(planes, config, noise=noise)
        primary = None
        if config.primary == "auto":
            primary = decide_primary(planes.luma, noise, split_prior.background_radius or 25.0)
            config = config.replace(primary=primary.primary)
        config = config.replace(sample=None)
        prior = split_prior
        if config.primary == "recording":
            # The recording fitted whole: T = 0 on the raw grey, nothing subtracted.
            prior = threshold_prior(planes, threshold=0.0, background="none", smooth=config.threshold_smooth,
                                    min_size=config.mask_min_size, grow=config.mask_grow)
        return Prepared(planes.without_luma(), config, prior, None, noise if planes.is_grey else None,
                        split_prior, primary)

    def restore(self, image, *, progress=False, snapshots=0, warm_start=None, callback=None):
        """Restore ``image``; a :class:`~histdip.result.Result`.

        ``snapshots`` keeps the output every this many steps; ``progress`` shows a bar;
        ``callback(step, loss)`` is called after every step of the fit, and a true value
        it returns stops the fit there (stop reason ``cancelled: ...``).
        ``warm_start``, a :class:`~histdip.FittedModel` (fitted on another photo of the
        same series or the previous plane of a stack), starts the fit from its weights
        instead of the seed's; the fit stops by the same rule.
        Over the memory budget (``max_memory``, :func:`histdip.memory.plan_memory`) the
        prediction's tile, then the fit's crops, are made smaller (``result.config`` holds
        them), or :class:`~histdip.errors.MemoryBudgetError` is raised before any work.
        """
        start = time.perf_counter()
        image = validate_image(image)
        # Before any image-sized array is made: a run over its memory budget is refused
        # (or tiled) here rather than killed half way (histdip.memory).
        memory = plan_memory(image.shape, self.config)
        prep = self.prepare(image, config=memory.config)
        config, prior, planes = prep.config, prep.prior, prep.planes
        # A background-subtracted result is a difference: it keeps no offset.
        keep_offset = prior.background == "none"
        fit = noise = None
        snaps = ()
        background = None
        if prep.split_prior is not None and prior is prep.split_prior:
            # Once: the fitted signal and the layers share the background (an envelope of a
            # 12 MP plane, and the noise estimate it needs, cost seconds).
            background = prior.plane_background(planes)
            signal = np.maximum(planes.recorded - background, 0.0)
        else:
            signal = prior.signal(planes)
        gain = 1.0
        if config.method == "threshold":
            out = prior.target(signal)
        else:
            problem, noise, fit, gain = self._fit(prep, snapshots=snapshots, progress=progress, signal=signal,
                                                  warm_start=warm_start, callback=callback)
            out = problem.output(fit) / gain
            snaps = tuple((k, planes.from_unit(a / gain, offset=keep_offset)) for k, a in fit.snapshots)
        layers = _layers(prep, out, background)
        if layers is not None and planes.is_dark:
            # Brightfield: the output is the restored recording (dark objects on a bright field).
            image = layers["recording"]
        else:
            image = planes.from_unit(out, offset=keep_offset)
        return Result(image=image, config=config, prior=prior, choice=prep.choice, fit=fit, noise=noise,
                      seconds=time.perf_counter() - start, snapshots=snaps, layers=layers,
                      primary=prep.primary, split_prior=prep.split_prior, gain=gain,
                      warm_start=None if fit is None or warm_start is None else warm_start.describe(),
                      memory=memory.record(), polarity=planes.polarity)

    def fit(self, image, *, progress=False):
        """Fit the network on ``image`` without predicting its output.

        Returns
        -------
        (Result, Problem)
            The result (its ``image`` None) and the problem, whose network carries the fit.
        """
        start = time.perf_counter()
        image = validate_image(image)
        memory = plan_memory(image.shape, self.config, predict=False)
        prep = self.prepare(image, config=memory.config)
        problem, noise, fit, gain = self._fit(prep, progress=progress)
        result = Result(image=None, config=prep.config, prior=prep.prior, choice=prep.choice, fit=fit, noise=noise,
                        seconds=time.perf_counter() - start, gain=gain, memory=memory.record(),
                        polarity=prep.planes.polarity)
        return result, problem

    def _fit(self, prep, *, snapshots=0, progress=False, signal=None, warm_start=None, callback=None):
        """(problem, noise, fit, gain) of a prepared image: the target, the problem, the
        fit, and the gain it was fitted at (its outputs are the image's times ``gain``)."""
        c = prep.config
        if signal is None:
            signal = prep.prior.signal(prep.planes)
        target = signal if c.method == "dip" else prep.prior.target(signal)
        gain = signal_gain(prep, target)
        problem, noise = self._problem(prep, signal, target, gain)
        if warm_start is not None:
            warm_start.start(problem.net, c)
        fit = problem.run(iterations=c.iterations, lr=c.lr, ema=c.ema, snapshot_every=snapshots, progress=progress,
                          callback=callback)
        return problem, noise, fit, gain

    @staticmethod
    def _problem(prep, signal, target, gain=1.0):
        c, planes = prep.config, prep.planes
        noise = prep.noise
        thresholded = c.method == "hist-dip" and prep.prior.zeroes_recording
        # The leash of a clipped output is measured in the recording's noise, whatever the rule.
        leashed = thresholded and c.network.leashed
        if noise is None and (c.stopping.rule == "noise-level" or c.noise_model == "poisson-gaussian" or leashed):
            # The noise follows the recorded levels, not those above a subtracted background.
            noise = estimate_noise(planes.recorded)
        recorded, fit_noise = planes.recorded, noise
        if gain != 1.0:
            signal, target, recorded = signal * gain, target * gain, recorded * gain
            fit_noise = None if noise is None else noise.in_units(gain)
        problem = build_problem(
            prep.prior.grey, signal, target, prep.prior.mask,
            loss_noise=fit_noise if c.noise_model == "poisson-gaussian" else GaussianNoise(), noise=fit_noise,
            recorded=recorded,
            amounts=padding_for(planes.shape, c.network, c.physics),
            fit_mask=c.method == "hist-dip", thresholded=thresholded,
            network=c.network, physics=c.physics, stopping=c.stopping, input=c.input,
            input_channels=c.input_channels, patch_size=c.patch_size, batch_size=c.batch_size,
            foreground_crops=c.foreground_crops, mask_resampling=c.mask_resampling, output=c.output, tile=c.tile,
            ensemble=c.ensemble, channels_last=c.channels_last, seed=c.seed, device=c.device,
        )
        return problem, noise


def signal_gain(prep, target):
    """The gain a learned split's signal is fitted at: with ``signal_gain='peak'``, one
    over its peak, so that the fit sees it at unit peak; 1 for any other fit.

    The background-removed signal of a dim photo peaks at a few hundredths of full scale;
    a network started and stepped for data on [0, 1] (``lr`` was chosen on such data)
    moves its output by more than that in one step, and on the dimmest scenes of the
    sweep it sat at zero or jumped to one instead of fitting (docs/decisions/signal-gain.md).
    """
    if prep.config.signal_gain != "peak" or prep.split_prior is None or prep.prior is not prep.split_prior:
        return 1.0
    peak = float(np.max(target))
    return 1.0 / peak if 0.0 < peak < 1.0 else 1.0


def _layers(prep, out, background=None):
    """Signal, recording and background on the input's scale, with a learned split."""
    if prep.split_prior is None:
        return None
    planes, sp = prep.planes, prep.split_prior
    if prep.config.primary == "recording":
        unit = layers_from_recording(out, sp.background_radius or 25.0, smooth=sp.smooth)
    else:
        unit = layers_from_signal(out, sp.plane_background(planes) if background is None else background, sp.split)
    return {"signal": planes.from_unit(unit.signal, offset=False),
            "recording": planes.from_unit(unit.recording, offset=True),
            "background": planes.from_unit(unit.background, offset=True),
            "split": unit.split}


def _prior(planes, c, *, noise=None):
    # The dip ablation fits the image as it is: no background subtracted.
    return threshold_prior(planes, threshold=c.threshold, threshold_low=c.threshold_low,
                           background="none" if c.method == "dip" else c.background,
                           background_radius=c.background_radius, smooth=c.threshold_smooth,
                           min_size=c.mask_min_size, grow=c.mask_grow, noise=noise)


def restore_detailed(image, config=None, *, progress=False, snapshots=0, warm_start=None, callback=None,
                     **overrides):
    """Like :func:`restore`, returning the :class:`~histdip.result.Result` with the run's
    details; ``warm_start`` (a :class:`~histdip.FittedModel`) fits from its weights;
    ``callback(step, loss)`` sees every step of the fit and stops it by returning a true
    value (:meth:`HistDip.restore`)."""
    return HistDip(config, **overrides).restore(image, progress=progress, snapshots=snapshots,
                                                warm_start=warm_start, callback=callback)


def restore(image, config=None, *, progress=False, **overrides):
    """Restore a dim, noisy fluorescence image.

    Parameters
    ----------
    image : ndarray, (H, W) or (H, W, C)
        Grey or colour image in its own units (uint8, uint16 or float).
    config : RestoreConfig or path, optional
        Settings; by default the ``fast`` preset.
    progress : bool
        Show a progress bar while fitting.
    **overrides
        Any :class:`~histdip.config.RestoreConfig` field, e.g. ``threshold=125``,
        ``method='dip'``, ``preset='paper'``, ``seed=1``, or ``sample='filaments'``.

    Returns
    -------
    ndarray, float32, (H, W), or (H, W, 3) when ``channel='rgb'``
        Same height and width as ``image``, on its intensity scale.

    Examples
    --------
    >>> import numpy as np, histdip
    >>> img = np.zeros((64, 64), np.uint8); img[20:30, 20:30] = 200
    >>> histdip.restore(img, method="threshold", threshold=100).shape
    (64, 64)
    """
    return restore_detailed(image, config, progress=progress, **overrides).image
