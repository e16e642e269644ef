"""The optimiser loop that fits a network to one image through a forward model.

It knows nothing about thresholds or files: it takes a network, a ``sampler`` that
gives the (input, target, weight) of each step (the whole image, or random crops), a
forward model that owns the loss, and optional hooks for snapshots and for stopping,
and returns an immutable :class:`Fit`.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..progress import open_progress
from ..tensors import block_mean
from .optim import Adam


#: A fit sent back to its best check goes on at this fraction of its learning rate.
REWIND_LR = 0.5


@dataclass(frozen=True, eq=False)
class Fit:
    """What a fit made and how it went.

    Attributes
    ----------
    model : torch.nn.Module
        The network to predict with: the weight average when ``ema`` is set, carrying
        the weights of the best-rated check when the stopper rates them.
    net : torch.nn.Module
        The network as the last step left it (the paper's output: its last iterate).
    iterations : int
        Steps taken.
    stop_reason : str
        Why the fit ended, in words.
    seconds : float
    loss : tuple of float
        The loss at each step (with the leash's penalty, where there is one).
    trace : tuple of (int, float)
        The stopper's signal at each check: the discrepancy ratio for the noise-level
        rule, the relative change for the plateau rule.
    snapshots : tuple of (int, ndarray)
        The preview every ``snapshot_every`` steps.
    best_step : int or None
        The step whose weights ``model`` carries, when not the last.
    zero_ratio : float or None
        The noise-level rule's ratio for an all-zero output
        (:attr:`~histdip.fit.NoiseLevelStopper.zero_ratio`); None under another rule.
    rewinds : tuple of (int, int)
        (step, best step) of each time the fit's output had collapsed to zero and the
        fit went back to its best check (``NoiseLevelStopper(rewinds=...)``).
    """

    model: torch.nn.Module
    net: torch.nn.Module
    iterations: int
    stop_reason: str
    seconds: float
    loss: tuple = ()
    trace: tuple = ()
    snapshots: tuple = ()
    best_step: int | None = None
    zero_ratio: float | None = None
    rewinds: tuple = ()


@dataclass(frozen=True)
class SnapshotPlan:
    """Snapshots whose number and size stay bounded however long the fit runs.

    Given as ``snapshot_every`` to :func:`fit` (or as ``snapshots`` to
    :func:`histdip.restore_detailed`), it keeps the preview every ``every`` steps; when
    more than ``limit`` are held, every other one is dropped and the interval doubled,
    so between ``limit / 2`` and ``limit`` snapshots, evenly spaced, cover the whole fit
    wherever it stops. Each is block-averaged down to at most ``max_side`` pixels a
    side (None: full size). What the report (:mod:`histdip.report`) takes.

    >>> SnapshotPlan(every=10, limit=20, max_side=1200).every
    10
    """

    every: int = 10
    limit: int = 20
    max_side: int | None = None

    def shrink(self, frame):
        """``frame`` block-averaged so that its longer side is at most ``max_side``."""
        factor = 1 if self.max_side is None else math.ceil(max(frame.shape[:2]) / self.max_side)
        if factor <= 1:
            return frame
        frame = np.asarray(frame)
        return block_mean(frame, factor).astype(frame.dtype)


def _plan(snapshot_every):
    if isinstance(snapshot_every, SnapshotPlan):
        return snapshot_every
    return SnapshotPlan(every=int(snapshot_every or 0), limit=0)


def _thin(snapshots, every):
    """Every other snapshot of ``snapshots`` (taken every ``every`` steps), and the new interval."""
    return [(k, a) for k, a in snapshots if k % (2 * every) == 0], 2 * every


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


def fit(
    net,
    sampler,
    physics,
    *,
    iterations,
    lr,
    ema=None,
    stopper=None,
    preview=None,
    check=None,
    snapshot_every=0,
    progress=False,
    callback=None,
    leash=None,
):
    """Fit ``net`` with Adam so that ``physics.loss(net(input), target, weight)`` falls.

    Parameters
    ----------
    net : torch.nn.Module
    sampler : callable
        ``sampler(step) -> (input, target, weight)`` tensors on the net's device;
        ``weight`` may be None.
    physics : histdip.physics.LinearPhysics
        Forward model applied to the network output, and its loss.
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
    snapshot_every : int or SnapshotPlan
        Keep ``preview`` every this many steps (0: none), or as a
        :class:`SnapshotPlan` says (bounded in number and size).
    progress : bool
        Show the progress with the loss: a tqdm bar on a terminal, a few lines with the
        stop reason in a log (:mod:`histdip.progress`).
    callback : callable, optional
        ``callback(step, loss) -> bool``, called after every finite step: a true value
        stops the fit there, with the stop reason ``cancelled: ...`` (a viewer's cancel
        button, a caller's own progress display). None changes nothing.
    leash : histdip.fit.leash.Leash, optional
        A penalty on the network's unclipped output (``net.unbounded``), added to the
        loss: it keeps a clipped output within reach of [0, 1].

    Returns
    -------
    Fit
        With a stopper that rates its checks (``is_best``, as
        :class:`~histdip.fit.NoiseLevelStopper`), its ``model`` carries the weights of
        the best-rated check when the fit did not stop on it. A stopper that sets
        ``rewind_to`` sends the fit back to that (best) check: the network's weights,
        their average and the optimiser's state; the fit goes on from there at
        :data:`REWIND_LR` times its learning rate.
    """
    optimiser = Adam(net.parameters(), lr=lr)
    average = WeightAverage(net, ema) if ema else None
    stop_reason = (f"fixed: ran all {iterations} iterations" if stopper is None
                   else f"cap: reached the {iterations}-iteration limit before the output settled")
    done, losses, snapshots = 0, [], []
    plan = _plan(snapshot_every)
    every = plan.every
    bar = None
    best = None  # (step, weights) the stopper rated best, for stoppers that rate
    # (net weights, optimiser state) at that check: what a rewind goes back to.
    anchor = None
    can_rewind = bool(getattr(stopper, "rewinds", 0))
    rewinds = []
    if progress:
        bar = open_progress(iterations, "fitting", "it", items="steps")
    start = time.perf_counter()
    finished = False
    try:
        for step in range(1, iterations + 1):
            inp, target, weight = sampler(step)
            optimiser.zero_grad()
            if leash is None:
                out = net(inp)
                value = physics.loss(out, target, weight)
            else:
                raw = net.unbounded(inp)
                out = net.bound(raw)
                value = physics.loss(out, target, weight) + leash(raw)
            value.backward()
            optimiser.step()
            if average is not None:
                average.update(net, step)
            loss_value = float(value.detach())
            done = step
            if not math.isfinite(loss_value):
                stop_reason = f"diverged: loss became {loss_value} at iteration {step}"
                break
            losses.append(loss_value)
            model = average.model if average is not None else net
            want_snapshot = every and step % every == 0
            want_check = stopper is not None and step % stopper.check_every == 0
            frame = None
            if want_snapshot and preview is not None:
                frame = preview(model, out.detach())
                snapshots.append((step, plan.shrink(frame)))
                if plan.limit and len(snapshots) > plan.limit:
                    snapshots, every = _thin(snapshots, every)
            probe = check if check is not None else preview
            if want_check and probe is not None:
                if frame is not None and check is None:
                    current = frame
                else:
                    current = probe(model, out.detach())
                reason = stopper.update(step, current)
                if getattr(stopper, "is_best", False):
                    best = (step, copy.deepcopy(model.state_dict()))
                    if can_rewind:
                        anchor = (copy.deepcopy(net.state_dict()), optimiser.state_dict())
                back = getattr(stopper, "rewind_to", None)
                if back is not None and best is not None and best[0] == back and anchor is not None:
                    net.load_state_dict(anchor[0])
                    optimiser.load_state_dict(anchor[1])
                    # At the same rate the fit collapsed again within a few checks (a
                    # crowded dim scene three times over, then for good); at half of it, not.
                    optimiser.lr *= REWIND_LR
                    if average is not None:
                        average.model.load_state_dict(best[1])
                    rewinds.append((step, back))
                if reason:
                    stop_reason = f"{reason} (stopped at {step} of {iterations})"
                    break
            if bar is not None:
                bar.update(1, loss=f"{loss_value:.3g}")
            if callback is not None and callback(step, loss_value):
                stop_reason = f"cancelled: stopped by the caller at iteration {step} of {iterations}"
                break
        fitted = average.model if average is not None else net
        best_step = None
        if best is not None and best[0] != done:
            fitted.load_state_dict(best[1])
            best_step = best[0]
            stop_reason += f"; output from step {best[0]}, the closest to the noise level"
        if rewinds:
            where = ", ".join(f"{a} -> {b}" for a, b in rewinds)
            stop_reason += (f"; its output collapsed to zero and it went back to its best check "
                            f"{len(rewinds)} time{'s' if len(rewinds) > 1 else ''} (step {where}), "
                            f"each time going on at {REWIND_LR:g}x the learning rate it had")
        finished = True
    finally:
        if bar is not None:
            # A log's last line of the fit says why it ended (an exception says it itself).
            bar.close(stop_reason if finished else "interrupted", count=done)
    return Fit(fitted, net, done, stop_reason, time.perf_counter() - start, tuple(losses),
               tuple(getattr(stopper, "history", ())), tuple(snapshots), best_step,
               getattr(stopper, "zero_ratio", None), tuple(rewinds))
