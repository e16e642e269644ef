"""Which settings a run uses: a config, a saved file or a preset, a kind of sample, and
the caller's own fields on top.

:func:`resolve_config` is the one place these combine, for the library, the command
line and the benchmarks. ``sample='auto'`` stays unresolved here: the image decides it
(:func:`histdip.prior.choose_sample`).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from pydantic import BaseModel

from ..errors import ConfigError
from .presets import PRESETS, preset
from .samples import sample_settings
from .schema import LEARNED, THRESHOLD_RULES, RestoreConfig

#: Fields of the threshold prior: one set by hand (without ``sample``) turns ``auto`` off.
PRIOR_FIELDS = ("threshold", "threshold_low", "background", "background_radius")

#: What a threshold given by hand as a number means without a background given too: the
#: paper's mask, ``grey > T`` on the raw BT.601 grey. These fields then take the paper's
#: values unless given by hand as well.
PAPER_MASK = {"background": "none", "threshold_smooth": 0.0, "mask_grow": 0, "mask_min_size": 0}


def resolve_config(config=None, **overrides):
    """A :class:`RestoreConfig` from a config, a saved config file, or a preset name.

    Parameters
    ----------
    config : RestoreConfig, path or None
        The starting point; None: the preset named by ``preset=`` (default ``fast``).
    **overrides
        Fields set by the caller (None: not given). ``preset`` restarts from that
        preset. ``sample`` (auto, beads, filaments, cells) adds that kind of sample's
        settings under the caller's own; it tunes the default preset and is refused
        with another.

    Notes
    -----
    Set by hand, a field of the threshold prior (:data:`PRIOR_FIELDS`) or a method other
    than ``hist-dip`` turns ``sample='auto'`` off: the fields are then the caller's. A
    number given as ``threshold`` is the paper's T: the mask is ``grey > T`` on the raw
    BT.601 grey, so the background subtraction, smoothing and mask growth of
    :data:`PAPER_MASK` are off unless given by hand too. Given with ``background``, T
    applies to the grey the settings build with that background subtracted (what
    ``histdip threshold`` shows).

    Examples
    --------
    >>> c = resolve_config(threshold=143)
    >>> c.threshold, c.background, c.sample
    (143.0, 'none', None)
    >>> c = resolve_config(threshold=20, background="rolling-ball")
    >>> c.background, c.threshold_smooth
    ('rolling-ball', 1.0)
    """
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if isinstance(config, (str, Path)):
        from .files import load_config

        config = load_config(config)
    if config is not None and not isinstance(config, RestoreConfig):
        raise ConfigError(f"config must be a RestoreConfig or a file path, got {type(config).__name__}")
    given = set(overrides)
    if _is_number(overrides.get("threshold")) and "background" not in given:
        overrides = {**{k: v for k, v in PAPER_MASK.items() if k not in given}, **overrides}
    if overrides.get("threshold_low") is not None and "threshold" not in given and _base_threshold(config, overrides) == LEARNED:
        # A low T makes a hysteresis pair with a T: the rule the Yen prior uses.
        overrides = {**overrides, "threshold": "yen"}
    if str(overrides.get("threshold", "")).strip().lower() == LEARNED and "background" not in given:
        # The learned split reads the background's noise from below a lower envelope.
        overrides = {**overrides, "background": "envelope"}
    sample = overrides.get("sample")
    if sample is not None:
        base = overrides.get("preset") or (config.preset if config is not None else "fast")
        if base != "fast":
            raise ConfigError(f"sample={sample!r} tunes the fast preset, not {base!r}")
        overrides = sample_settings(sample, overrides)
    resolved = _apply(config, overrides)
    by_hand = sample in (None, "auto") and any(k in given for k in PRIOR_FIELDS)
    if resolved.sample == "auto" and (by_hand or resolved.method != "hist-dip"):
        resolved = resolved.replace(sample=None)
    return resolved


def _base_threshold(config, overrides):
    """The threshold of what ``overrides`` are applied to (a config, or a preset)."""
    if config is not None and "preset" not in overrides:
        return config.threshold
    from .presets import PRESETS

    factory = PRESETS.get(overrides.get("preset", "fast"))
    return factory().threshold if factory else None


def _is_number(value):
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    spec = str(value).strip().lower()
    if spec in THRESHOLD_RULES or spec == LEARNED or spec.startswith("percentile:"):
        return False
    try:
        float(spec)
    except ValueError:
        return False
    return True


def _apply(config, overrides):
    overrides = dict(overrides)
    name = overrides.pop("preset", None)
    if config is None:
        return preset(name or "fast").replace(**overrides)
    if name is not None and name != config.preset:
        if name not in PRESETS:
            raise ConfigError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
        return preset(name).replace(**overrides)
    return config.replace(**overrides) if overrides else config


def merge_settings(base, changes):
    """A copy of the settings dict ``base`` with ``changes`` applied.

    A nested section (``network``, ``physics``, ``stopping``) given as a dict, or as its
    model, is merged into the base's section field by field; any other value replaces.

    >>> merge_settings({"lr": 1e-3, "stopping": {"rule": "fixed", "level": 1.0}},
    ...                {"stopping": {"level": 0.6}})
    {'lr': 0.001, 'stopping': {'rule': 'fixed', 'level': 0.6}}
    """
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, BaseModel):
            value = value.model_dump()
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def parse_assignments(items):
    """``FIELD=VALUE`` strings to a dict of :class:`RestoreConfig` overrides.

    A value is read as JSON when it parses (numbers, ``null``, nested sections as JSON
    objects: ``physics={"factor": 1}``), else kept as a string (``background=none``).

    >>> parse_assignments(["lr=0.006", "background=none", 'physics={"factor": 1}'])
    {'lr': 0.006, 'background': 'none', 'physics': {'factor': 1}}
    """
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"expected FIELD=VALUE, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out
