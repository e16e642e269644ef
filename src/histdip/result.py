"""What a restoration returns: the restored image and everything that made it.

:class:`Result` holds the values each stage handed on, so the run record
(:meth:`Result.record`, saved beside every output) is built in one place from them and
nothing is recomputed or guessed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from . import __version__


@dataclass(frozen=True, eq=False)
class Result:
    """A restored image and how it was obtained.

    Attributes
    ----------
    image : ndarray or None
        The restored image, float32, on the input's intensity scale (a
        background-subtracted result keeps no offset); (H, W), or (H, W, 3) for
        ``channel='rgb'``. None for a fit whose output was not predicted
        (:func:`histdip.fit_model`).
    config : RestoreConfig
        The settings as run: ``sample='auto'`` resolved into the choice and the fields
        it set. Saved beside a result, it reproduces the run.
    prior : histdip.prior.Prior
        Background, T and mask.
    choice : histdip.prior.SampleChoice or None
        What ``sample='auto'`` chose and why; None when it was not asked.
    fit : histdip.fit.Fit or None
        The fit; None for ``method='threshold'``.
    noise : noise model or None
        The recording's noise, where it was estimated (:func:`histdip.noise.estimate_noise`).
    seconds : float
        Wall-clock of the whole restoration.
    snapshots : tuple of (int, ndarray)
        The output every ``snapshots`` steps, on the input's scale.
    """

    image: np.ndarray | None
    config: object
    prior: object
    choice: object = None
    fit: object = None
    noise: object = None
    seconds: float = 0.0
    snapshots: tuple = ()

    @property
    def threshold(self):
        return self.prior.threshold

    @property
    def threshold_low(self):
        return self.prior.threshold_low

    @property
    def mask(self):
        return self.prior.mask

    @property
    def iterations(self):
        return 0 if self.fit is None else self.fit.iterations

    @property
    def stop_reason(self):
        return "threshold only: no fitting" if self.fit is None else self.fit.stop_reason

    @property
    def sample_reason(self):
        return "" if self.choice is None else self.choice.reason

    def summary(self, *, short=False):
        """One line for people: the sample chosen, T, steps and why the fit stopped.
        ``short`` keeps only the kind of stop ("cap", "noise level"...)."""
        parts = []
        if self.choice is not None:
            parts.append(f"sample {self.choice.sample} (auto)")
        if self.config.method != "dip" and self.prior.zeroes_recording:  # T = 0 on the raw grey keeps all
            low = self.threshold_low
            parts.append(f"T={self.threshold:.4g}" + ("" if low is None or low >= self.threshold else f" (low {low:.4g})"))
        if self.iterations:
            parts.append(f"{self.iterations} iterations")
            parts.append(self.stop_reason.split(":", 1)[0] if short else self.stop_reason)
        return ", ".join(parts)

    def record(self):
        """The run's numbers, for the JSON saved beside an output."""
        prior, fit = self.prior, self.fit
        return {
            "threshold": float(prior.threshold),
            "threshold_low": None if prior.threshold_low is None else float(prior.threshold_low),
            "threshold_on": prior.describe_grey(),
            "foreground_fraction": float(prior.mask.mean()),
            "background": prior.background,
            "background_radius": prior.background_radius,
            "sample": self.config.sample,
            "sample_reason": self.sample_reason,
            "sample_statistic": None if self.choice is None else _finite(self.choice.statistic),
            "thresholded": self.config.method == "hist-dip" and prior.zeroes_recording,
            "noise": None if self.noise is None else self.noise.to_dict(),
            "iterations": self.iterations,
            "stop_reason": self.stop_reason,
            "best_step": None if fit is None else fit.best_step,
            "final_loss": fit.loss[-1] if fit is not None and fit.loss else None,
            "seconds": round(self.seconds, 3),
            "histdip": __version__,
            "torch": str(torch.__version__),
        }


def _finite(value):
    # JSON has no infinity: a noise-free image's statistic is written as "inf".
    return float(value) if np.isfinite(value) else "inf"
