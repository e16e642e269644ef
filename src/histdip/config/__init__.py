"""Configuration: one versioned schema, presets, resolution and files.

* :mod:`.schema` -- :class:`RestoreConfig` and its sections; its defaults are the
  default (``fast``) preset;
* :mod:`.presets` -- :func:`preset` (``fast``, ``paper``);
* :mod:`.samples` -- :data:`SAMPLES`, the settings per kind of sample;
* :mod:`.resolve` -- :func:`resolve_config`: a config, a file or a preset, a sample and
  the caller's fields combined;
* :mod:`.files` -- :func:`save_config`, :func:`load_config`, schema versions and
  migration.
"""

from .files import SCHEMA_VERSION, load_config, migrate, save_config
from .presets import PAPER_FIELDS, PRESETS, preset
from .resolve import PAPER_MASK, PRIOR_FIELDS, merge_settings, parse_assignments, resolve_config
from .samples import SAMPLES, sample_settings
from .schema import (
    BACKGROUNDS,
    LEARNED,
    PRIMARY_LAYERS,
    SAMPLE_KINDS,
    THRESHOLD_RULES,
    NetworkConfig,
    PhysicsConfig,
    RestoreConfig,
    StoppingConfig,
)

__all__ = [
    "BACKGROUNDS",
    "LEARNED",
    "PRIMARY_LAYERS",
    "NetworkConfig",
    "PAPER_FIELDS",
    "PAPER_MASK",
    "PRESETS",
    "PRIOR_FIELDS",
    "PhysicsConfig",
    "RestoreConfig",
    "SAMPLES",
    "SAMPLE_KINDS",
    "SCHEMA_VERSION",
    "StoppingConfig",
    "THRESHOLD_RULES",
    "load_config",
    "merge_settings",
    "migrate",
    "parse_assignments",
    "preset",
    "resolve_config",
    "sample_settings",
    "save_config",
]
