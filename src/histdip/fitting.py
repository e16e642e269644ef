"""The optimiser loop that fits a network to one image through a forward model.

It knows nothing about thresholds or files: it takes a network, a ``sampler`` that
gives the (input, target) pair for each step (the whole image, or random crops), a
forward model, a loss, and optional hooks for snapshots and for stopping.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from .optim import Adam


@dataclass
class FitResult:
    """What happened during a fit."""

    iterations: int
    stop_reason: str
    seconds: float
    loss: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)
    #: The stopper's signal at each check, (step, value): the discrepancy ratio for
    #: the noise-level rule, the relative change for the plateau rule.
    trace: list = field(default_factory=list)


class WeightAverage:
    """Exponential moving average of a network's weights (used for the output)."""

    def __init__(self, net, decay):
        self.decay = decay
        self.model = copy.deepcopy(net).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, net, step):
        # Warm-up (as in Adam's bias correction) so early steps do not drag the average.
        d = min(self.decay, (1 + step) / (10 + step))
        for avg, cur in zip(self.model.parameters(), net.parameters()):
            avg.lerp_(cur, 1 - d)
        for avg, cur in zip(self.model.buffers(), net.buffers()):
            avg.copy_(cur)


def _is_flat(output):
    """An all-zero output: a fit that has not started or has collapsed, never converged."""
    return not np.abs(output).max() > 1e-6


class PlateauStopper:
    """Stop when the output stops changing: no clean reference needed.

    Every ``check_every`` steps the caller gives the current output; when its relative
    change ``||x_k - x_{k-1}|| / ||x_k||`` stays below ``tolerance`` for ``patience``
    checks in a row (and at least ``min_iterations`` have run), fitting stops.
    """

    def __init__(self, check_every=25, tolerance=2e-3, patience=3, min_iterations=100):
        self.check_every, self.tolerance = check_every, tolerance
        self.patience, self.min_iterations = patience, min_iterations
        self.previous, self.calm, self.history = None, 0, []

    def update(self, step, output):
        output = np.asarray(output, dtype=np.float64)
        if self.previous is not None:
            change = np.linalg.norm(output - self.previous) / max(np.linalg.norm(output), 1e-12)
            self.history.append((step, float(change)))
            # An output that has collapsed to zero is stuck, not converged.
            settled = change < self.tolerance and not _is_flat(output)
            self.calm = self.calm + 1 if settled else 0
        self.previous = output
        if step >= self.min_iterations and self.calm >= self.patience:
            return f"plateau: output changed < {self.tolerance:g} for {self.patience} checks of {self.check_every} steps"
        return None


class NoiseLevelStopper:
    """Stop when the output departs from the noisy target by about the noise, or when
    that departure stops shrinking.

    Every ``check_every`` steps the caller gives the current output (the same window
    as ``target``) and the stopper computes the ratio of the mean squared residual
    ``(output - target)^2`` to the mean estimated noise ``variance``, over the pixels
    where ``weight`` is nonzero. Fitting stops (never before ``min_iterations``):

    * when the ratio falls to ``level``: Morozov's discrepancy principle; an output
      that explains the image down to its noise is done, going on only copies noise;
    * or, from ``2 * min_iterations`` on, when the ratio (a mean of the last three
      checks, to calm the crop-to-crop jitter) has not fallen by ``tolerance``
      (relative) in ``patience`` checks: the fit has levelled off above the noise
      (a thresholded target, or a network that cannot follow every detail), and
      more steps only cost time. Within ``near_level`` times the level that test waits
      ``near_patience`` checks instead; an all-zero output never counts as levelled off,
      nor (with ``detour``) a window of checks whose best ratio is more than ``detour``
      times the best before it: that is a spike the fit may come back from, not a plateau.

    Parameters
    ----------
    target, variance : ndarray
        The noisy target and its per-pixel noise variance, in the output's units.
    weight : ndarray, optional
        Which pixels count (e.g. the foreground mask of a thresholded target).
    """

    def __init__(self, target, variance, weight=None, check_every=10, level=1.0, min_iterations=50,
                 tolerance=0.03, patience=5, near_level=None, near_patience=None, detour=None):
        self.check_every, self.level, self.min_iterations = check_every, level, min_iterations
        self.tolerance, self.patience, self.detour = tolerance, patience, detour
        self.near_level, self.near_patience = near_level, near_patience
        w = np.ones(np.shape(target)) if weight is None else np.asarray(weight, dtype=np.float64)
        self.target = np.asarray(target, dtype=np.float64)
        if self.target.ndim == 3 and w.ndim == 2:
            w = w[..., None]
        self.weight = np.broadcast_to(w, self.target.shape)
        self.noise = float((self.weight * np.broadcast_to(variance, self.target.shape)).sum())
        self.history, self.smoothed = [], []
        #: True when the last update was the closest to the noise level so far: the fit
        #: loop keeps those weights and ends on them (a fit that levels off, or one whose
        #: output collapses late, returns its best state, not its last).
        self.is_best = False
        self.best = math.inf

    @classmethod
    def from_config(cls, stopping, target, variance, weight=None, *, thresholded=True):
        """The stopper a :class:`histdip.config.StoppingConfig` describes, on this window.

        ``thresholded=False`` (an unmasked target: ``method='dip'``, or T = 0): the
        short patience far above the noise level is for a thresholded photo, whose fit
        creeps along at 5-20x the noise for good. An unmasked fit does come down to the
        noise, and on the way it can stall: three dark FMD frames (Confocal_BPAE_R_1, 3,
        4) stalled at 5.6-7.7x around step 100, were stopped there at 26.8-27.7 dB, below
        their noisy input (33 dB), and reach 34.9-36.8 dB when left to go on. Such a
        fit waits ``near_patience`` checks at every level.
        """
        patience, near_level = stopping.patience, stopping.near_level
        if not thresholded and stopping.near_patience:
            patience, near_level = stopping.near_patience, None
        return cls(target, variance, weight, check_every=stopping.check_every, level=stopping.level,
                   min_iterations=stopping.min_iterations, tolerance=stopping.tolerance,
                   patience=patience, near_level=near_level, near_patience=stopping.near_patience,
                   detour=stopping.detour)

    def replay(self, trace):
        """(best step, stop step) of this rule on a recorded ``trace`` of (step, ratio).

        The best step is the check whose weights a fit would end on, the stop step the
        check it stops at (the last one when it never stops). A fit recorded once with
        the levelling-off test off can so be read under any settings
        (scripts/fmd_trajectories.py, scripts/stop_level_study.py).
        """
        best = None
        for step, ratio in trace:
            why = self.observe(step, ratio)
            if self.is_best:
                best = step
            if why:
                return best, step
        return best, trace[-1][0]

    def update(self, step, output):
        if self.noise <= 0:  # no estimate of the noise here: leave it to the cap
            self.is_best = False
            return None
        output = np.asarray(output, dtype=np.float64)
        residual = self.weight * (output - self.target) ** 2
        return self.observe(step, float(residual.sum()) / self.noise, flat=_is_flat(output))

    def observe(self, step, ratio, flat=False):
        """Take the discrepancy ratio at ``step``; return why to stop, or None.

        ``flat``: the output is all zero. Split from :meth:`update` so a recorded trace
        can be replayed under other settings (scripts/fmd_trajectories.py).
        """
        self.is_best = ratio < self.best
        if self.is_best:
            self.best = ratio
        self.history.append((step, ratio))
        self.smoothed.append(float(np.mean([r for _, r in self.history[-3:]])))
        if step < self.min_iterations:
            return None
        if ratio <= self.level:
            return (f"noise level: the output differs from the image by {ratio:.2f}x its estimated "
                    f"noise variance (<= {self.level:g})")
        # Early in a fit the residual can stall for a few dozen steps before the network
        # picks up structure (FMD Confocal_BPAE_G_1 stalled at step 90 on a result worse
        # than the input), so the levelling-off test waits twice as long.
        patience = self.patience
        if self.near_level is not None and self.smoothed[-1] <= self.near_level * self.level:
            # Close to the noise level the fit is in its last stretch: on FMD frames the
            # ratio falls from 2 to 1 in long steps with plateaus between them, and each
            # step is worth 0.5-1 dB (docs/stopping.md); far above it (a thresholded photo,
            # whose fine noise the downsampling model never fits) waiting only costs time.
            patience = self.near_patience or self.patience
        # An all-zero output has not levelled off, it has not started (or has collapsed):
        # on a sparse 64 px filament scene the fit sat at zero for 200 steps at lr 6e-3,
        # then went on to beat its own threshold prior (46.7 against 45.7 dB).
        if not flat and step >= 2 * self.min_iterations and len(self.smoothed) > patience:
            before = min(self.smoothed[:-patience])
            recent = min(self.smoothed[-patience:])
            # A spike of the learning rate can throw the output far off for a few dozen
            # steps (a 128 px bead crop at twice the noise: the ratio 6.9 at step 40, 116
            # at steps 60-90, 5.0 by step 330). Stopped there, the fit returned its step-40
            # weights, 34.9 dB against 38.9 at the cap (docs/results.md, "Session 10").
            if self.detour is not None and recent > self.detour * before:
                return None
            if recent > before * (1 - self.tolerance):
                return (f"noise level: fit levelled off at {ratio:.2f}x the estimated noise variance "
                        f"(< {self.tolerance:g} better in {patience} checks)")
        return None


def fit(
    net,
    sampler,
    physics,
    loss,
    *,
    iterations,
    lr,
    ema=None,
    stopper=None,
    preview=None,
    check=None,
    snapshot_every=0,
    progress=False,
):
    """Fit ``net`` with Adam so that ``loss(physics(net(input)), target)`` falls.

    Parameters
    ----------
    net : torch.nn.Module
    sampler : callable
        ``sampler(step) -> (input, target, weight)`` tensors on the net's device;
        ``weight`` may be None.
    physics : torch.nn.Module
        Forward model applied to the network output before the loss.
    loss : callable
        ``loss(prediction, target, weight)``.
    iterations : int
        Maximum number of steps.
    lr : float
        Adam learning rate.
    ema : float, optional
        Decay of a moving average of the weights; ``preview`` then receives the averaged
        network.
    stopper : PlateauStopper or NoiseLevelStopper, optional
    preview : callable, optional
        ``preview(model, step_output) -> ndarray``: the current result, used for
        snapshots and by the stopper. ``model`` is the (averaged) network,
        ``step_output`` the output of the step just taken.
    check : callable, optional
        ``check(model, step_output) -> ndarray`` given to the stopper instead of
        ``preview`` (e.g. a small fixed region: far cheaper than the whole image).
    snapshot_every : int
        Keep ``preview`` every this many steps (0: none).
    progress : bool
        Show a tqdm bar with the loss and the time left.

    Returns
    -------
    FitResult, and the averaged model (or ``net``) to predict with. With a stopper that
    rates its checks (``is_best``, as :class:`NoiseLevelStopper`), that model carries the
    weights of the best-rated check when the fit did not stop on it.
    """
    optimiser = Adam(net.parameters(), lr=lr)
    average = WeightAverage(net, ema) if ema else None
    result = FitResult(iterations=0, stop_reason=(
            f"fixed: ran all {iterations} iterations" if stopper is None
            else f"cap: reached the {iterations}-iteration limit before the output settled"
        ), seconds=0.0)
    bar = None
    best = None  # (step, weights) the stopper rated best, for stoppers that rate
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=iterations, desc="fitting", unit="it", dynamic_ncols=True, leave=False)
    start = time.perf_counter()
    try:
        for step in range(1, iterations + 1):
            inp, target, weight = sampler(step)
            optimiser.zero_grad()
            out = net(inp)
            value = loss(physics(out), target, weight)
            value.backward()
            optimiser.step()
            if average is not None:
                average.update(net, step)
            loss_value = float(value.detach())
            if not math.isfinite(loss_value):
                result.stop_reason = f"diverged: loss became {loss_value} at iteration {step}"
                result.iterations = step
                break
            result.loss.append(loss_value)
            result.iterations = step
            model = average.model if average is not None else net
            want_snapshot = snapshot_every and step % snapshot_every == 0
            want_check = stopper is not None and step % stopper.check_every == 0
            if want_snapshot and preview is not None:
                result.snapshots.append((step, preview(model, out.detach())))
            probe = check if check is not None else preview
            if want_check and probe is not None:
                if want_snapshot and check is None:
                    current = result.snapshots[-1][1]
                else:
                    current = probe(model, out.detach())
                reason = stopper.update(step, current)
                if getattr(stopper, "is_best", False):
                    best = (step, copy.deepcopy(model.state_dict()))
                if reason:
                    result.stop_reason = f"{reason} (stopped at {step} of {iterations})"
                    break
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss_value:.3g}")
    finally:
        if bar is not None:
            bar.close()
    fitted = average.model if average is not None else net
    result.trace = list(getattr(stopper, "history", []))
    if best is not None and best[0] != result.iterations:
        fitted.load_state_dict(best[1])
        result.stop_reason += f"; output from step {best[0]}, the closest to the noise level"
    result.seconds = time.perf_counter() - start
    return result, fitted
