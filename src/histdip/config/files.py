"""Config files: a :class:`~histdip.config.RestoreConfig` saved beside every output, read
back with ``--config`` to reproduce the run.

A file written by histdip is a mapping (JSON, or YAML by its extension)::

    {"histdip_config_version": 7, "histdip_config": {...every field...}, ...record...}

A file of an older version is migrated on reading (:func:`migrate`), so it reruns as it
ran. A hand-written mapping of a few fields, without the ``histdip_config`` key, is
applied on top of the preset it names (default ``fast``).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from ..errors import ConfigError
from .schema import RestoreConfig, one_line

#: Version of the config schema this histdip writes.
SCHEMA_VERSION = 7

#: The defaults of version 1, in which the fields' defaults were the paper's network and
#: options off. A version-1 file left out the fields added after it was written; each
#: then had this value.
V1_DEFAULTS = {
    "method": "hist-dip", "preset": "fast", "threshold": "yen", "threshold_low": None, "sample": None,
    "channel": "auto", "background": "none", "background_radius": "auto", "mask_min_size": 0, "mask_grow": 0,
    "threshold_smooth": 0.0,
    "network": {"channels_down": [128] * 5, "channels_up": [128] * 5, "channels_skip": [4] * 5, "norm": "batch",
                "upsample": "bilinear", "padding": "reflection", "sigmoid": True, "clamp": False,
                "leash": None},
    "physics": {"kind": "downsample", "factor": 4, "kernel": "lanczos2"},
    "input": "image", "input_channels": 32, "noise_model": "gaussian", "iterations": 2000, "lr": 1e-3,
    "patch_size": None, "batch_size": 1, "foreground_crops": 0.5, "ema": None, "output": "last",
    "mask_resampling": "hr", "tile": None, "ensemble": 1, "channels_last": False,
    "stopping": {"rule": "fixed", "check_every": 25, "tolerance": 2e-3, "patience": 3, "min_iterations": 100,
                 "level": 1.0, "near_level": None, "near_patience": None, "detour": None,
                 "started": None, "rewinds": 0},
    "seed": 0, "device": "cpu",
}


def migrate(fields, version):
    """The fields of a config saved at schema ``version``, brought to :data:`SCHEMA_VERSION`.

    >>> migrate({"lr": 0.006, "stopping": {"rule": "noise-level"}}, 1)["stopping"]["detour"] is None
    True
    >>> migrate({"stopping": {"rule": "noise-level"}}, 3)["stopping"]["near_level"]
    4.0
    """
    if version == SCHEMA_VERSION:
        return dict(fields)
    if version == 6:
        # Version 6's fits ran on from an output that had collapsed to zero
        # (docs/decisions/stopping-rule.md).
        return _section_default(fields, "stopping", "rewinds", 0)
    if version == 5:
        # Version 5's noise-level rule let a fit level off before it had started
        # (docs/decisions/stopping-rule.md).
        return migrate(_section_default(fields, "stopping", "started", None), 6)
    if version == 4:
        # Version 4's clipped output had no leash (docs/decisions/fast-network.md).
        return migrate(_section_default(fields, "network", "leash", None), 5)
    if version == 3:
        # Version 3's noise-level rule waited its long patience within 4x the noise on a
        # thresholded fit too (docs/decisions/stopping-rule.md).
        return migrate(_section_default(fields, "stopping", "near_level", 4.0), 4)
    if version == 2:
        # Version 2 knew fluorescence only and restored a stack plane by plane.
        return migrate({"polarity": "bright", "volume": "planes", **fields}, 3)
    if version == 1:
        # Every field a version-1 file lacks had version 1's default.
        out = {}
        for key, default in V1_DEFAULTS.items():
            value = fields.get(key, default)
            if isinstance(default, dict) and isinstance(value, dict):
                value = {**default, **value}
            out[key] = value
        unknown = set(fields) - set(V1_DEFAULTS)
        out.update({k: fields[k] for k in unknown})  # left for validation to name
        return migrate(out, 2)
    raise ConfigError(f"config schema version {version!r} is not one this histdip reads "
                      f"(it reads 1 to {SCHEMA_VERSION}); upgrade histdip")


def _section_default(fields, section, key, value):
    """``fields`` with ``value`` for ``section.key`` where the file left it out (a
    section that is not a mapping is left for validation to name)."""
    part = fields.get(section, {})
    if isinstance(part, dict) and key not in part:
        fields = {**fields, section: {**part, key: value}}
    return dict(fields)


def config_from_mapping(data, where="config"):
    """A :class:`RestoreConfig` from a saved mapping (``histdip_config`` and its version)."""
    fields = data["histdip_config"]
    if not isinstance(fields, dict):
        raise ConfigError(f"{where}: histdip_config must be a mapping of settings")
    version = data.get("histdip_config_version", 1)
    try:
        return RestoreConfig(**migrate(fields, version))
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None
    except ValidationError as err:
        raise ConfigError(one_line(err, f"{where}: ")) from None


def save_config(config, path, extra=None):
    """Write ``config`` (and an optional ``extra`` record, e.g. the run's) to ``path``.

    The format follows the extension: ``.json``, ``.yaml`` or ``.yml``. The write is
    not atomic by itself: callers stage it (:class:`histdip.io.OutputBatch`).
    """
    path = Path(path)
    data = {"histdip_config_version": SCHEMA_VERSION, "histdip_config": config.to_dict()}
    if extra:
        data.update(extra)
    if path.suffix.lower() in (".yaml", ".yml"):
        text = yaml.safe_dump(data, sort_keys=False)
    else:
        text = json.dumps(data, indent=2) + "\n"
    path.write_text(text)
    return path


def load_config(path):
    """Read a config written by :func:`save_config`, or a hand-written mapping of fields.

    Raises
    ------
    ConfigError
        Missing or unreadable file, not JSON/YAML, not a mapping, a bad setting, or a
        schema version newer than this histdip.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such config file")
    if not path.is_file():
        raise ConfigError(f"{path}: not a file")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read config ({getattr(err, 'strerror', None) or err})") from None
    try:
        data = yaml.safe_load(text)  # YAML is a superset of JSON
    except yaml.YAMLError:
        raise ConfigError(f"{path}: not valid JSON or YAML") from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise ConfigError(f"{path}: nested too deeply to be a config") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    if "histdip_config" in data:
        return config_from_mapping(data, str(path))
    from .resolve import resolve_config

    try:
        return resolve_config(**{k: v for k, v in data.items()})
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None
    except TypeError as err:
        raise ConfigError(f"{path}: {err}") from None
