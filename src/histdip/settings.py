"""Which settings a run uses: a config, a saved config file or a preset, a kind of sample,
and the caller's own fields on top.

:func:`resolve_config` is the one place these combine, for the library (``restore``,
``fit_model``), the CLI and the benchmarks. ``sample='auto'`` stays unresolved here: the
image decides it (:func:`histdip.restoration.prepare`).
"""

from __future__ import annotations

from pathlib import Path

from .config import RestoreConfig
from .errors import ConfigError
from .samples import sample_overrides

#: Fields of the threshold prior: one set by hand (without ``sample``) turns ``auto`` off.
PRIOR_FIELDS = ("threshold", "threshold_low", "background", "background_radius")


def resolve_config(config=None, **overrides):
    """A :class:`RestoreConfig` from a config, a saved config file, or a preset name.

    ``overrides`` (field=value, None ignored) are applied on top. ``sample`` (auto,
    beads, filaments, cells: :mod:`histdip.samples`) adds that kind of sample's
    settings under them; it tunes the fast preset and is refused with another. The fast
    preset's ``sample='auto'`` is turned off (None) by a threshold-prior field
    (:data:`PRIOR_FIELDS`) set with it, and by a method other than ``hist-dip``: the
    fields are then the caller's.
    """
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if isinstance(config, (str, Path)):
        config = RestoreConfig.load(config)
    sample = overrides.get("sample")
    if sample is not None:
        base = overrides.get("preset") or (config.preset if isinstance(config, RestoreConfig) else None)
        if base not in (None, "fast"):
            raise ConfigError(f"sample={sample!r} tunes the fast preset, not {base!r}")
        overrides = sample_overrides(sample, overrides)
    resolved = _apply(config, overrides)
    by_hand = sample in (None, "auto") and any(k in overrides for k in PRIOR_FIELDS)
    if resolved.sample == "auto" and (by_hand or resolved.method != "hist-dip"):
        resolved = resolved.replace(sample=None)
    return resolved


def _apply(config, overrides):
    overrides = dict(overrides)
    if config is None:
        return RestoreConfig.from_preset(overrides.pop("preset", "fast"), **overrides)
    if not isinstance(config, RestoreConfig):
        raise ConfigError(f"config must be a RestoreConfig or a file path, got {type(config).__name__}")
    if "preset" in overrides and overrides["preset"] != config.preset:
        base = RestoreConfig.from_preset(overrides.pop("preset"))
        return base.replace(**overrides)
    return config.replace(**overrides) if overrides else config
