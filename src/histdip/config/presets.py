"""Named presets, each a factory of a :class:`~histdip.config.RestoreConfig`.

``fast`` is the default: the schema's own defaults. ``paper`` is the authors' released
configuration in every detail (docs/paper.md).
"""

from __future__ import annotations

from ..errors import ConfigError
from .schema import RestoreConfig

#: The fields in which the paper's configuration differs from the default.
PAPER_FIELDS = dict(
    preset="paper",
    sample=None,
    threshold="yen",
    channel="rgb",
    background="none",
    mask_grow=0,
    threshold_smooth=0.0,
    # Ulyanov's skip network as the authors configure it: 5 scales of 128 channels,
    # 4-channel skips, BatchNorm, sigmoid output; about 2.2 M parameters.
    network=dict(channels_down=[128] * 5, channels_up=[128] * 5, channels_skip=[4] * 5, norm="batch",
                 sigmoid=True, clamp=False, leash=None),
    physics=dict(kind="downsample", factor=4, kernel="lanczos2"),
    input_channels=32,
    iterations=2000,
    lr=1e-3,
    patch_size=None,
    batch_size=1,
    ema=None,
    output="last",
    mask_resampling="lr",
    tile=None,
    channels_last=False,
    stopping=dict(rule="fixed"),
)


def fast():
    """The default: a small network fitted on crops, stopping by itself."""
    return RestoreConfig()


def paper():
    """The authors' released configuration (2000 steps of a 2.2 M-parameter network)."""
    return RestoreConfig().replace(**PAPER_FIELDS)


#: Preset name -> factory.
PRESETS = {"fast": fast, "paper": paper}


def preset(name="fast"):
    """The :class:`RestoreConfig` of a named preset.

    >>> preset("paper").iterations, preset().iterations
    (2000, 600)
    """
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
    return PRESETS[name]()
