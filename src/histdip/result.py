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
    layers : dict or None
        With a learned split (``threshold='learned'``): ``signal``, ``recording`` and
        ``background`` on the input's scale (``image`` is the primary one of them), and
        ``split``, the split that separated them (learned on the fitted recording when
        that is primary). None otherwise.
    primary : histdip.prior.PrimaryChoice or None
        Which layer is primary and why, where the image decided it (``primary='auto'``).
    split_prior : histdip.prior.Prior or None
        The prior that holds the split learned on the input.
    gain : float
        The fit saw its target times this (:func:`histdip.pipeline.signal_gain`); 1
        for a fit at the image's own scale.
    warm_start : dict or None
        Where the fit started, when not from the seed: the photo the starting network
        was fitted on and its steps (:meth:`histdip.FittedModel.describe`).
    memory : dict or None
        The memory estimate, the budget and the settings lowered to fit it
        (:meth:`histdip.memory.MemoryPlan.record`).
    polarity : histdip.prior.polarity.PolarityChoice or None
        The polarity used and, for ``polarity='auto'``, how it was read; None where it
        was not asked (bright). With polarity dark and a learned split, ``image`` is the
        recording layer (a brightfield image, dark objects on the bright field).
    """

    image: np.ndarray | None
    config: object
    prior: object
    choice: object = None
    fit: object = None
    noise: object = None
    seconds: float = 0.0
    snapshots: tuple = ()
    layers: dict | None = None
    primary: object = None
    split_prior: object = None
    gain: float = 1.0
    warm_start: dict | None = None
    memory: dict | None = None
    polarity: object = None

    @property
    def is_dark(self):
        """Whether the image was restored as brightfield (polarity dark)."""
        return self.polarity is not None and self.polarity.is_dark

    @property
    def primary_layer(self):
        """The name of the layer ``image`` holds: ``signal`` or ``recording``."""
        if self.layers is not None and self.is_dark:
            return "recording"
        return self.config.primary if self.layers is not None else "signal"

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
        if self.is_dark:
            parts.append("polarity dark" + (" (auto)" if self.polarity.dark_share is not None else ""))
        if self.choice is not None:
            parts.append(f"sample {self.choice.sample} (auto)")
        if self.layers is not None:
            split = self.layers["split"]
            parts.append(f"primary {self.primary_layer}" + (" (auto)" if self.primary is not None else ""))
            parts.append(f"learned T={split.threshold:.3g} (softness {split.softness:.2g}), "
                         f"signal {100 * split.signal_share:.1f}% of pixels")
        elif self.config.method != "dip" and self.prior.zeroes_recording:  # T = 0 on the raw grey keeps all
            low = self.threshold_low
            parts.append(f"T={self.threshold:.4g}" + ("" if low is None or low >= self.threshold else f" (low {low:.4g})"))
        if self.iterations:
            parts.append(f"{self.iterations} iterations")
            parts.append(self.stop_reason.split(":", 1)[0] if short else self.stop_reason)
        changed = (self.memory or {}).get("changed")
        if changed and not short:
            parts.append("to fit the memory budget " + ", ".join(f"{k} {v['used']} (not {v['asked']})"
                                                                 for k, v in changed.items()))
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
            # (step, best step) of each time the output collapsed to zero and the fit went back
            "rewinds": [] if fit is None else [[int(a), int(b)] for a, b in fit.rewinds],
            "target_gain": float(self.gain),
            "warm_start": self.warm_start,
            "memory": self.memory,
            "final_loss": fit.loss[-1] if fit is not None and fit.loss else None,
            "seconds": round(self.seconds, 3),
            "histdip": __version__,
            "torch": str(torch.__version__),
            # The fit's weight gradients are summed across threads in another order at
            # another thread count: a run reproduces bit for bit at this one.
            "torch_threads": torch.get_num_threads(),
            **self._polarity_record(),
            **self._split_record(),
            **self._curve_record(),
        }

    def _polarity_record(self):
        if self.polarity is None:
            return {"polarity": "bright", "polarity_reason": "polarity bright (given)", "polarity_dark_share": None}
        return self.polarity.to_dict()

    def _curve_record(self):
        # The loss at every step and the stopping rule's signal at every check: what the
        # report (histdip report RUN.json) draws; 5 significant digits.
        if self.fit is None:
            return {}
        stopping = self.config.stopping
        return {"curve": {
            "loss": [_short(v) for v in self.fit.loss],
            "check": [[int(k), _short(v)] for k, v in self.fit.trace],
            "check_signal": CHECK_SIGNALS.get(stopping.rule),
            "check_level": float(stopping.level) if stopping.rule == "noise-level" else None,
            # What an all-zero output scores: the rule's "not started yet" reference, where
            # the rule uses one.
            "check_zero": (None if self.fit.zero_ratio is None or stopping.started is None
                           else _short(self.fit.zero_ratio)),
        }}

    def _split_record(self):
        if self.layers is None:
            return {}
        record = split_record(self.split_prior, self.primary, self.primary_layer)
        if self.is_dark:
            record["primary_reason"] = ("brightfield (polarity dark): the output is the restored recording, dark "
                                        f"objects on the bright field; fitted: {self.config.primary} ("
                                        f"{record['primary_reason']})")
        return {
            **record,
            "split_on_output": self.layers["split"].to_dict(),
            "envelope_scale_px": self.split_prior.background_radius,
            "layers": ["signal", "recording", "background"],
        }


#: What the stopping rule's trace holds, by rule (:attr:`histdip.fit.Fit.trace`).
CHECK_SIGNALS = {"noise-level": "residual / noise variance", "plateau": "relative change of the output"}


def split_record(split_prior, primary, primary_layer):
    """The learned split on the input and the primary layer with why, as records give them.

    ``primary`` is the automatic choice (:class:`histdip.prior.PrimaryChoice`), None when
    the layer was given; ``primary_layer`` the layer used.
    """
    return {
        "primary": primary_layer,
        "primary_reason": primary.reason if primary is not None else "given (--primary)",
        "background_pedestal_sigma": None if primary is None else _finite(primary.pedestal),
        "split_on_input": split_prior.split.to_dict(),
    }


def _short(value):
    return float(f"{value:.5g}") if np.isfinite(value) else "inf"


def _finite(value):
    # JSON has no infinity: a noise-free image's statistic is written as "inf".
    return float(value) if np.isfinite(value) else "inf"
