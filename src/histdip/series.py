"""Photos of one series (one device, one sample prep; the planes of a stack): fitted
once, then each started from that fit.

The paper itself applies a network fitted on one photo to others. A series goes one step
further: every other photo is fitted too, but from the fitted network's weights
(:meth:`histdip.FittedModel.start`) and for a short, fixed number of steps,
:func:`warm_config`. Why fixed: on simulated series the noise-level rule, given a warm
start, kept running (the discrepancy creeps down a few per cent a check, as in a cold
fit, so its levelling-off test rarely fires) and took more steps than a cold fit, while
the quality against the clean image was within 0.2 dB of the cold fit's from the first
checks on (docs/decisions/series-warm-start.md; ``python -m benchmarks series``).
"""

from __future__ import annotations

from .config import resolve_config



def warm_steps(config):
    """The steps a warm-started fit of ``config`` takes: ``stopping.min_iterations``, at
    least 1 and at most ``iterations``."""
    return max(1, min(config.iterations, config.stopping.min_iterations))


def warm_config(config=None, *, steps=None, **overrides):
    """The settings of a warm-started fit: ``config`` stopped after ``steps`` steps.

    Parameters
    ----------
    config : RestoreConfig, path or None
        The series' settings (those of the photo the warm start was fitted on).
    steps : int, optional
        Steps to take; default :func:`warm_steps`.

    Returns
    -------
    RestoreConfig
        The same settings with ``iterations=steps`` and the ``fixed`` stopping rule.

    Examples
    --------
    >>> warm_config(None).iterations, warm_config(None).stopping.rule
    (50, 'fixed')
    """
    config = resolve_config(config, **overrides)
    steps = warm_steps(config) if steps is None else int(steps)
    if steps < 1:
        raise ValueError(f"a warm-started fit needs at least 1 step (got {steps})")
    return config.replace(iterations=steps, stopping=config.stopping.model_copy(update={"rule": "fixed"}))
