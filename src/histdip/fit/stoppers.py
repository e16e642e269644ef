"""Stopping rules: when a fit without a clean reference is done.

:class:`NoiseLevelStopper` (the default's: the discrepancy principle, with a
levelling-off test) and :class:`PlateauStopper` (the output stops changing). Each takes
the current output every ``check_every`` steps and returns why to stop, or None. Why
the default rule is what it is: docs/decisions/stopping-rule.md.
"""

from __future__ import annotations

import math

import numpy as np


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
      times the best before it: that is a spike the fit may come back from, not a plateau;
      nor (with ``started``) a fit that has not yet explained that share of what an
      all-zero output leaves above the noise level (:attr:`zero_ratio`): it has not
      started, however slowly it moves.

    An output that sits at all zero for two checks in a row, from ``min_iterations`` on,
    after a check that did better than an all-zero output, has collapsed: a step of the
    optimiser threw the network's output below zero everywhere, where the clip gives
    the sparse target's few bright pixels little to pull it back with. With ``rewinds``
    left, the stopper sets :attr:`rewind_to` to its best check's step and forgets the
    checks after it; the fit loop puts the weights and the optimiser back to that check
    and goes on with the next steps' crops at half the learning rate
    (docs/decisions/stopping-rule.md, "A fit whose output collapses").

    Parameters
    ----------
    target, variance : ndarray
        The noisy target and its per-pixel noise variance, in the output's units.
    weight : ndarray, optional
        Which pixels count (e.g. the foreground mask of a thresholded target).

    Attributes
    ----------
    zero_ratio : float or None
        The ratio an all-zero output scores: the target's energy over the noise's
        (None without a noise estimate).
    rewind_to : int or None
        Set by the last update: the step of the best check, to which a collapsed fit
        goes back; None when it goes on.
    rewound : list of (int, int)
        (step, best step) of each rewind so far.
    """

    def __init__(self, target, variance, weight=None, check_every=10, level=1.0, min_iterations=50,
                 tolerance=0.03, patience=5, near_level=None, near_patience=None, detour=None, started=None,
                 rewinds=0):
        self.check_every, self.level, self.min_iterations = check_every, level, min_iterations
        self.rewinds, self.rewind_to, self.rewound = int(rewinds or 0), None, []
        self._best_step, self._flat_before = None, False
        self.tolerance, self.patience, self.detour, self.started = tolerance, patience, detour, started
        self.near_level, self.near_patience = near_level, near_patience
        w = np.ones(np.shape(target)) if weight is None else np.asarray(weight, dtype=np.float64)
        self.target = np.asarray(target, dtype=np.float64)
        if self.target.ndim == 3 and w.ndim == 2:
            w = w[..., None]
        self.weight = np.broadcast_to(w, self.target.shape)
        self.noise = float((self.weight * np.broadcast_to(variance, self.target.shape)).sum())
        self.zero_ratio = float((self.weight * self.target ** 2).sum()) / self.noise if self.noise > 0 else None
        self.history, self.smoothed = [], []
        #: True when the last update was the closest to the noise level so far: the fit
        #: loop keeps those weights and ends on them (a fit that levels off, or one whose
        #: output collapses late, returns its best state, not its last).
        self.is_best = False
        self.best = math.inf

    @classmethod
    def from_config(cls, stopping, target, variance, weight=None, *, thresholded=True):
        """The stopper a :class:`histdip.config.StoppingConfig` describes, on this window.

        ``thresholded=False``: the target zeroes none of the recorded light (``dip``, or
        T = 0 on the raw grey: :attr:`histdip.prior.Prior.zeroes_recording`). The short
        patience far above the noise level is for a thresholded photo, whose fit creeps
        along at 5-20x the noise for good. An unthresholded fit does come down to the
        noise, and on the way it can stall (dark FMD frames stalled at 5.6-7.7x around
        step 100, below their noisy input); it waits ``near_patience`` checks at every
        level (docs/decisions/stopping-rule.md).
        """
        patience, near_level = stopping.patience, stopping.near_level
        if not thresholded and stopping.near_patience:
            patience, near_level = stopping.near_patience, None
        return cls(target, variance, weight, check_every=stopping.check_every, level=stopping.level,
                   min_iterations=stopping.min_iterations, tolerance=stopping.tolerance,
                   patience=patience, near_level=near_level, near_patience=stopping.near_patience,
                   detour=stopping.detour, started=stopping.started, rewinds=stopping.rewinds)

    def replay(self, trace, flat=(), zero_ratio=None):
        """(best step, stop step) of this rule on a recorded ``trace`` of (step, ratio).

        The best step is the check whose weights a fit would end on, the stop step the
        check it stops at (the last one when it never stops). A fit recorded once with
        the levelling-off test off can so be read under any settings. ``flat``: the
        steps at which the output was all zero (never levelled off, as in a fit);
        ``zero_ratio``: the recorded fit's :attr:`zero_ratio` (the ``started`` test's
        reference), when this stopper was not built on its target. A replay never
        rewinds (a recorded fit's trace holds the path it went on, its rewinds done).
        """
        if zero_ratio is not None:
            self.zero_ratio = float(zero_ratio)
        # A record is one path; where a fit would have been rewound, the record does not
        # say what it would have done next.
        self.rewinds = 0
        best = None
        for step, ratio in trace:
            why = self.observe(step, ratio, flat=step in flat)
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
        can be replayed under other settings (:meth:`replay`).
        """
        self.rewind_to = None
        if self._collapsed(step, ratio, flat):
            self.rewind_to = self._best_step
            self.rewound.append((step, self._best_step))
            # The checks after the best one belong to a path the fit leaves: the
            # levelling-off test judges the path it goes on from.
            keep = sum(1 for s, _ in self.history if s <= self._best_step)
            del self.history[keep:], self.smoothed[keep:]
            self.is_best, self._flat_before = False, False
            return None
        self._flat_before = flat
        self.is_best = ratio < self.best
        if self.is_best:
            self.best, self._best_step = ratio, step
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
            # step is worth 0.5-1 dB (docs/decisions/stopping-rule.md); far above it (a thresholded photo,
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
            # weights, 34.9 dB against 38.9 at the cap (docs/decisions/stopping-rule.md).
            if self.detour is not None and recent > self.detour * before:
                return None
            if not self.has_started(recent):
                return None
            if recent > before * (1 - self.tolerance):
                return (f"noise level: fit levelled off at {ratio:.2f}x the estimated noise variance "
                        f"(< {self.tolerance:g} better in {patience} checks)")
        return None

    def _collapsed(self, step, ratio, flat):
        """Whether the fit should go back to its best check: its output is all zero at
        this check and the one before, from ``min_iterations`` on, an earlier check did
        better, and it has rewinds left."""
        return (flat and self._flat_before and step >= self.min_iterations and self._best_step is not None
                and self.best < ratio and len(self.rewound) < self.rewinds)

    def has_started(self, ratio):
        """Whether a fit at ``ratio`` has explained the ``started`` share of what an
        all-zero output leaves above the noise level.

        A thresholded dim photo's fit can creep for a hundred steps with its output
        near zero (the ratio 17.7 -> 14.9 of an all-zero 17.7 over a crowded scene at
        SNR 4): that is a fit that has not picked up its signal yet, not one that has
        levelled off; run on, it gave 288 of the 480 beads instead of none
        (docs/decisions/stopping-rule.md, "A fit that has not started").

        >>> s = NoiseLevelStopper(np.full(4, 4.0), np.ones(4), started=0.5)
        >>> s.zero_ratio, s.has_started(10.0), s.has_started(8.0)
        (16.0, False, True)
        """
        if self.started is None or self.zero_ratio is None or self.zero_ratio <= self.level:
            return True
        return ratio <= self.level + (1.0 - self.started) * (self.zero_ratio - self.level)


def probe_window(shape, size, multiple, weight=None):
    """(rows, cols) slices of a window at most ``size`` pixels a side, sides a multiple
    of ``multiple``: central, or where ``weight`` sums highest.

    A stopping rule watches such a window, not the whole image: a whole-image prediction
    every check would cost more than the fit itself.
    """
    h, w = shape
    sh, sw = min(h, size), min(w, size)
    sh, sw = max(multiple, sh - sh % multiple), max(multiple, sw - sw % multiple)
    y, x = (h - sh) // 2, (w - sw) // 2
    if weight is not None and (sh < h or sw < w) and weight.any():
        from scipy import ndimage

        # Window sums on a grid of multiples: the box filter's centre is the window's.
        sums = ndimage.uniform_filter(weight, (sh, sw), mode="constant")
        cy = np.clip(np.arange(0, h - sh + 1, multiple) + sh // 2, 0, h - 1)
        cx = np.clip(np.arange(0, w - sw + 1, multiple) + sw // 2, 0, w - 1)
        grid = sums[np.ix_(cy, cx)]
        iy, ix = np.unravel_index(int(np.argmax(grid)), grid.shape)
        y, x = int(cy[iy] - sh // 2), int(cx[ix] - sw // 2)
    return slice(y, y + sh), slice(x, x + sw)
