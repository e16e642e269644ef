"""One validated configuration object for a restoration, and its presets.

A :class:`RestoreConfig` says everything needed to reproduce a result: method,
threshold rule, channel, network, forward model, optimiser, stopping rule and seed.
It round-trips to JSON or YAML (:meth:`RestoreConfig.save`, :meth:`RestoreConfig.load`)
and the command line writes it beside every output.

Presets
-------
``paper``
    The authors' released configuration: image repeated to 32 input channels, the
    2.2 M-parameter skip network, x4 Lanczos-2 forward model, Adam lr 1e-3, 2000
    iterations, last iterate, 3-channel sigmoid output on the RGB photo.
``fast``
    The default: a small network fitted on random crops and applied to the whole image
    (see docs/benchmarks.md for the measurements behind it).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .presets import PRESETS  # re-exported: histdip.config.PRESETS is public

THRESHOLD_RULES = ("otsu", "triangle", "li", "yen")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class NetworkConfig(_Strict):
    """Ulyanov et al.'s "skip" encoder-decoder, one entry per scale."""

    channels_down: list[int] = Field(default_factory=lambda: [128] * 5)
    channels_up: list[int] = Field(default_factory=lambda: [128] * 5)
    channels_skip: list[int] = Field(default_factory=lambda: [4] * 5)
    norm: Literal["batch", "group", "channel", "none"] = "batch"
    upsample: Literal["bilinear", "nearest"] = "bilinear"
    padding: Literal["reflection", "zeros"] = "reflection"
    sigmoid: bool = True
    #: With ``sigmoid=False``: clip the output to [0, 1] in the forward pass while the
    #: gradient passes straight through (no saturation, unlike a sigmoid driven far
    #: negative by a mostly-zero hist-dip target).
    clamp: bool = False

    @model_validator(mode="after")
    def _same_depth(self):
        n = len(self.channels_down)
        if n == 0 or len(self.channels_up) != n or len(self.channels_skip) != n:
            raise ValueError("channels_down, channels_up and channels_skip need the same, non-zero length")
        if min(self.channels_down + self.channels_up) < 1 or min(self.channels_skip) < 0:
            raise ValueError("channel counts must be positive (skip channels may be 0)")
        return self

    @property
    def multiple(self):
        """Image sides must be a multiple of this (one halving per scale)."""
        return 2 ** len(self.channels_down)

    @property
    def margin(self):
        """Mirrored pixels added on each side of the image before the network sees it.

        Zero padding shows the convolutions a dark frame at the image's edges: a.png's
        edge rows came out 3x further from their prior than the interior (measured
        before crops fitted the image's own edges). One pixel of the coarsest scale of
        mirrored image moves that frame outside the output.
        """
        return self.multiple if self.padding == "zeros" else 0


class PhysicsConfig(_Strict):
    """Forward model from the network's output to what is compared with the target."""

    kind: Literal["identity", "downsample"] = "downsample"
    factor: int = Field(4, ge=1, le=16)
    kernel: Literal["lanczos2", "lanczos3", "box"] = "lanczos2"


class StoppingConfig(_Strict):
    """When to stop fitting without a clean reference.

    ``fixed`` runs all iterations. ``plateau`` stops once the relative change of the
    (exponentially averaged) output between checks stays below ``tolerance`` for
    ``patience`` checks, never before ``min_iterations``. ``noise-level`` (the
    discrepancy principle) stops once the output differs from the noisy target by no
    more than the noise estimated from the image itself (``level`` times it), or once
    that difference has not shrunk by ``tolerance`` (relative) in ``patience`` checks;
    checked every ``check_every`` steps, never before ``min_iterations``.
    """

    rule: Literal["fixed", "plateau", "noise-level"] = "fixed"
    check_every: int = Field(25, ge=1)
    tolerance: float = Field(2e-3, gt=0)
    patience: int = Field(3, ge=1)
    min_iterations: int = Field(100, ge=0)
    #: ``noise-level``: stop once the output's mean squared difference from the target
    #: is at most ``level`` times the image's estimated noise variance.
    level: float = Field(1.0, gt=0)
    #: ``noise-level``: once the ratio is within ``near_level`` times ``level``, the
    #: levelling-off test waits ``near_patience`` checks instead of ``patience``.
    near_level: Optional[float] = Field(None, gt=1)
    near_patience: Optional[int] = Field(None, ge=1)
    #: ``noise-level``: checks whose best ratio is more than ``detour`` times the best
    #: before them are a spike, not a fit that has levelled off; None counts them as
    #: levelled off (as before session 10, so a config saved then reruns as it ran).
    detour: Optional[float] = Field(None, gt=1)


class RestoreConfig(_Strict):
    """Everything that determines a restoration. Validated on creation and assignment.

    Notable fields: ``threshold`` is a manual T on the 0-255 grey scale or a rule name;
    ``input`` is what the network sees (``image``: the grey photo repeated to
    ``input_channels``, as the paper; ``noise``: Ulyanov's random code);
    ``patch_size`` (None: whole image each step) and ``batch_size`` set the crops each
    step fits, ``foreground_crops`` the share of them centred on a foreground pixel; ``ema`` averages the weights; ``output`` is ``last`` (the last iterate,
    train-mode, as the paper) or ``eval`` (eval-mode prediction of the averaged net);
    ``mask_resampling`` is ``hr`` (mask the photo, then apply the forward model) or
    ``lr`` (the paper: downscale photo and mask separately, multiply); ``tile`` bounds
    the prediction's tile size for large images; ``ensemble`` averages the final
    prediction over that many flips and quarter turns of the image.

    The threshold prior: ``background`` (``rolling-ball`` or ``tophat``, radius
    ``background_radius`` px, or ``auto``: 1.5 times the radius of the larger objects,
    :func:`histdip.prior.auto_background_radius`) is subtracted from the grey and the fitted plane before T
    is chosen and applied, so T then lives on the background-subtracted scale (``none``:
    the paper's way; the ``dip`` method ignores it). ``mask_min_size`` drops specks of
    fewer pixels from the mask, ``mask_grow`` then dilates it by that many pixels.
    ``threshold_low`` (a rule or T, None: off) makes the mask a hysteresis threshold:
    pixels above it are kept where they connect to a pixel above ``threshold``
    (:func:`histdip.prior.foreground_mask`). ``sample`` names the kind of sample whose
    settings (:mod:`histdip.samples`) the fast preset took; ``auto`` lets the image
    choose at restore time, and the config saved with a result holds the choice and the
    fields it set; None: the fields as given.
    """

    method: Literal["hist-dip", "dip", "threshold"] = "hist-dip"
    preset: Literal["fast", "paper", "custom"] = "fast"
    threshold: Union[float, str] = "yen"
    threshold_low: Optional[Union[float, str]] = None
    sample: Optional[Literal["auto", "beads", "filaments", "cells"]] = None
    channel: str = "auto"
    background: Literal["none", "rolling-ball", "tophat"] = "none"
    background_radius: Union[float, Literal["auto"]] = "auto"
    mask_min_size: int = Field(0, ge=0)
    mask_grow: int = Field(0, ge=0, le=50)
    threshold_smooth: float = Field(0.0, ge=0, le=20)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    physics: PhysicsConfig = Field(default_factory=PhysicsConfig)
    input: Literal["image", "noise"] = "image"
    input_channels: int = Field(32, ge=1)
    noise_model: Literal["gaussian", "poisson-gaussian"] = "gaussian"
    iterations: int = Field(2000, ge=1)
    lr: float = Field(1e-3, gt=0)
    patch_size: Optional[int] = Field(None, ge=32)
    batch_size: int = Field(1, ge=1)
    foreground_crops: float = Field(0.5, ge=0, le=1)
    ema: Optional[float] = Field(None, ge=0, lt=1)
    output: Literal["last", "eval"] = "last"
    mask_resampling: Literal["hr", "lr"] = "hr"
    tile: Optional[int] = Field(None, ge=64)
    ensemble: Literal[1, 2, 4, 8] = 1
    channels_last: bool = False
    stopping: StoppingConfig = Field(default_factory=StoppingConfig)
    seed: int = 0
    device: str = "cpu"

    @field_validator("threshold", "threshold_low")
    @classmethod
    def _check_threshold(cls, value, info):
        if value is None and info.field_name == "threshold_low":
            return None
        if isinstance(value, str):
            spec = value.strip().lower()
            try:
                value = float(spec)
            except ValueError:
                if spec in THRESHOLD_RULES:
                    return spec
                if spec.startswith("percentile:"):
                    p = float(spec.split(":", 1)[1])
                    if not 0 <= p <= 100:
                        raise ValueError(f"percentile must lie in 0-100, got {p}")
                    return f"percentile:{p:g}"
                raise ValueError(
                    f"threshold must be a number 0-255, one of {', '.join(THRESHOLD_RULES)} or 'percentile:P'"
                )
        if not 0 <= float(value) <= 255:
            raise ValueError(f"threshold T={value} is outside 0-255 (the paper's grey scale)")
        return float(value)

    @field_validator("background_radius")
    @classmethod
    def _check_radius(cls, value):
        if value != "auto" and not 0 < float(value) <= 10000:
            raise ValueError(f"background radius must be 'auto' or a number of pixels in (0, 10000], got {value}")
        return value

    @field_validator("device")
    @classmethod
    def _check_device(cls, value):
        if value not in ("cpu", "cuda", "mps", "auto") and not value.startswith("cuda:"):
            raise ValueError(f"device must be cpu, cuda, cuda:N, mps or auto, got {value!r}")
        return value

    # ----------------------------------------------------------------- presets
    @classmethod
    def from_preset(cls, preset="fast", **overrides):
        """Build a config from a named preset, then apply ``overrides`` (field=value).

        Nested sections may be overridden with dicts, e.g. ``network={"norm": "none"}``.
        """
        if preset not in PRESETS:
            raise ConfigError(f"unknown preset {preset!r}; use one of {', '.join(PRESETS)}")
        changes = {k: v for k, v in overrides.items() if v is not None}
        return cls.validated(**merge_settings(PRESETS[preset], changes))

    @classmethod
    def validated(cls, **fields):
        """Like the constructor, but a bad value raises :class:`ConfigError` in one line."""
        try:
            return cls(**fields)
        except ValidationError as err:
            raise ConfigError(_one_line(err)) from None

    def replace(self, **changes):
        """A validated copy with ``changes`` applied (nested sections as dicts)."""
        return type(self).validated(**merge_settings(self.model_dump(), changes))

    # ------------------------------------------------------------------- files
    def to_dict(self):
        return self.model_dump(mode="json")

    def save(self, path, extra=None):
        """Write the config (and an optional ``extra`` record, e.g. run results).

        The format follows the extension: ``.json``, ``.yaml`` or ``.yml``.
        """
        path = Path(path)
        data = {"histdip_config": self.to_dict()}
        if extra:
            data.update(extra)
        if path.suffix.lower() in (".yaml", ".yml"):
            text = yaml.safe_dump(data, sort_keys=False)
        else:
            text = json.dumps(data, indent=2) + "\n"
        path.write_text(text)
        return path

    @classmethod
    def load(cls, path):
        """Read a config written by :meth:`save` (or a bare mapping of its fields)."""
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"{path}: no such config file")
        if not path.is_file():
            raise ConfigError(f"{path}: not a file")
        try:
            text = path.read_text()
        except OSError as err:
            raise ConfigError(f"{path}: cannot read config ({err.strerror or err})") from None
        try:
            data = yaml.safe_load(text)  # YAML is a superset of JSON
        except yaml.YAMLError:
            raise ConfigError(f"{path}: not valid JSON or YAML") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping of settings")
        data = data.get("histdip_config", data)
        try:
            return cls(**data)
        except ValidationError as err:
            raise ConfigError(f"{path}: {_one_line(err)}") from None


def parse_assignments(items):
    """``FIELD=VALUE`` strings to a dict of :class:`RestoreConfig` overrides.

    A value is read as JSON when it parses (numbers, ``null``, nested sections as JSON
    objects: ``physics={"factor": 1}``), else kept as a string (``background=none``).

    Examples
    --------
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
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


def _one_line(err: ValidationError):
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "config"
    msg = first["msg"].removeprefix("Value error, ")
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"invalid setting {where}: {msg}{more}"
