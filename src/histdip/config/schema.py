"""The settings of a restoration: one validated model, :class:`RestoreConfig`.

The field defaults are the default (``fast``) preset: ``RestoreConfig()`` is what
``histdip restore`` runs. Why each default is what it is: ``docs/decisions/``.
"""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ConfigError

#: Names of the automatic threshold rules (scikit-image's), besides a number and ``percentile:P``.
THRESHOLD_RULES = ("otsu", "triangle", "li", "yen")

#: The threshold learned with the split of the recording into background and signal
#: (:func:`histdip.prior.learn_split`): three layers written, the primary one decided.
LEARNED = "learned"

#: Which layer a restoration with a learned split hands back (``auto``: the image decides).
PRIMARY_LAYERS = ("auto", "signal", "recording")

#: Background subtractions the threshold prior offers.
BACKGROUNDS = ("none", "envelope", "rolling-ball", "tophat")

#: Kinds of sample (``sample=``): ``auto`` lets the image choose (:mod:`histdip.prior.choice`).
SAMPLE_KINDS = ("auto", "beads", "filaments", "cells")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True)


class NetworkConfig(_Strict):
    """Ulyanov et al.'s "skip" encoder-decoder, one entry per scale.

    The defaults are the fast network: 16 channels x 4 scales, no normalisation and a
    straight-through [0, 1] clip on a leash (docs/decisions/fast-network.md). The paper's is 128 x 5
    with BatchNorm and a sigmoid.
    """

    channels_down: list[int] = Field(default_factory=lambda: [16] * 4)
    channels_up: list[int] = Field(default_factory=lambda: [16] * 4)
    channels_skip: list[int] = Field(default_factory=lambda: [4] * 4)
    norm: Literal["batch", "group", "channel", "none"] = "none"
    upsample: Literal["bilinear", "nearest"] = "bilinear"
    padding: Literal["reflection", "zeros"] = "reflection"
    sigmoid: bool = False
    #: With ``sigmoid=False``: clip the output to [0, 1] in the forward pass while the
    #: gradient passes straight through (a sigmoid driven far negative by a mostly-zero
    #: hist-dip target saturates; without normalisation it did).
    clamp: bool = True
    #: With that clip, on a thresholded fit: how many noise standard deviations the
    #: unclipped output may stray outside [0, 1] before a penalty pulls it back
    #: (:class:`histdip.fit.leash.Leash`); ``None``: nothing pulls it back, and a dim
    #: signal's output can sit at zero for a whole fit (docs/decisions/fast-network.md).
    #: Without the clip it has no effect.
    leash: Optional[float] = Field(3.0, ge=0)

    @model_validator(mode="after")
    def _same_depth(self):
        n = len(self.channels_down)
        if n == 0 or len(self.channels_up) != n or len(self.channels_skip) != n:
            raise ValueError("channels_down, channels_up and channels_skip need the same, non-zero length")
        if min(self.channels_down + self.channels_up) < 1 or min(self.channels_skip) < 0:
            raise ValueError("channel counts must be positive (skip channels may be 0)")
        return self

    @property
    def leashed(self):
        """Whether a thresholded fit puts this network's output on the leash: a clipped
        output (no sigmoid) with a ``leash`` set."""
        return self.leash is not None and self.clamp and not self.sigmoid

    @property
    def multiple(self):
        """Image sides must be a multiple of this (one halving per scale)."""
        return 2 ** len(self.channels_down)

    @property
    def margin(self):
        """Mirrored pixels added on each side of the image before the network sees it.

        Zero padding shows the convolutions a dark frame at the image's edges; one
        pixel of the coarsest scale of mirrored image moves that frame outside the
        output. Reflection padding needs none.
        """
        return self.multiple if self.padding == "zeros" else 0


class PhysicsConfig(_Strict):
    """Forward model from the network's output to what is compared with the target.

    x2 Lanczos-2 downsampling by default (docs/decisions/forward-model.md); the paper's
    is x4.
    """

    kind: Literal["identity", "downsample"] = "downsample"
    factor: int = Field(2, ge=1, le=16)
    kernel: Literal["lanczos2", "lanczos3", "box"] = "lanczos2"


class StoppingConfig(_Strict):
    """When to stop fitting without a clean reference (docs/decisions/stopping-rule.md).

    ``fixed`` runs all iterations. ``plateau`` stops once the relative change of the
    output between checks stays below ``tolerance`` for ``patience`` checks, never before
    ``min_iterations``. ``noise-level`` (the discrepancy principle, the default) stops
    once the output differs from the noisy target by no more than ``level`` times the
    noise estimated from the image itself, or once that difference has not shrunk by
    ``tolerance`` (relative) in ``patience`` checks; checked every ``check_every``
    steps, never before ``min_iterations``.
    """

    rule: Literal["fixed", "plateau", "noise-level"] = "noise-level"
    check_every: int = Field(10, ge=1)
    tolerance: float = Field(0.03, gt=0)
    patience: int = Field(3, ge=1)
    min_iterations: int = Field(50, ge=0)
    #: ``noise-level``: stop once the output's mean squared difference from the target
    #: is at most ``level`` times the image's estimated noise variance.
    level: float = Field(1.0, gt=0)
    #: ``noise-level``: an unthresholded fit's levelling-off test waits
    #: ``near_patience`` checks at every level; a thresholded one waits them only once
    #: its ratio is within ``near_level`` times ``level`` (None: never, the default).
    near_level: Optional[float] = Field(None, gt=1)
    near_patience: Optional[int] = Field(20, ge=1)
    #: ``noise-level``: checks whose best ratio is more than ``detour`` times the best
    #: before them are a spike, not a fit that has levelled off; None counts them as
    #: levelled off.
    detour: Optional[float] = Field(1.5, gt=1)
    #: ``noise-level``: the levelling-off test waits until the fit has explained this
    #: share of what an all-zero output leaves above the noise level: before that it has
    #: not started, however slowly it moves. None: it may level off anywhere.
    started: Optional[float] = Field(0.5, gt=0, lt=1)
    #: ``noise-level``: how many times a fit whose output has collapsed (all zero at two
    #: checks in a row, after a better check) goes back to its best check and on, at
    #: half its learning rate; 0: never, the collapsed fit runs on from where it is.
    rewinds: int = Field(3, ge=0)


class RestoreConfig(_Strict):
    """Everything that determines a restoration. Validated on creation; immutable.

    ``RestoreConfig()`` is the default (``fast``) preset; :func:`histdip.config.preset`
    builds the others, :meth:`replace` makes a changed copy.

    The threshold prior: ``threshold`` is T on the paper's 0-255 BT.601 grey (a number)
    or a rule (``yen``, ``otsu``, ``triangle``, ``li``, ``percentile:P``); the mask is
    ``grey > T``. ``threshold_low`` (a rule or T; None: off) makes it a hysteresis
    threshold. ``background`` (``rolling-ball`` or ``tophat`` of ``background_radius``
    px, or ``auto``: 1.5 times the radius of the larger objects) is subtracted from the
    grey and the fitted plane before T is chosen and applied (``none``: the paper's way;
    the ``dip`` method ignores it). T and the mask come from the grey smoothed by
    ``threshold_smooth`` px; ``mask_min_size`` drops specks of fewer pixels, then
    ``mask_grow`` dilates the mask by that many pixels. ``sample`` names the kind of
    sample whose settings (:data:`histdip.config.SAMPLES`) were applied; ``auto``
    lets the image choose at restore time (the config saved with a result holds the
    choice); None: the fields as given.

    The fit: ``input`` is what the network sees (``image``: the grey repeated to
    ``input_channels``, as the paper; ``noise``: Ulyanov's random code);
    ``noise_model`` is the data-fit loss (``gaussian``: MSE; ``poisson-gaussian``: MSE
    after a variance-stabilising transform with the noise estimated from the image);
    ``signal_gain='peak'`` fits a learned split's signal at unit peak and hands it back
    at its own scale (docs/decisions/signal-gain.md; needs ``threshold='learned'``);
    ``patch_size`` (None: the whole image each step) and ``batch_size`` set the crops
    each step fits, ``foreground_crops`` the share of them centred on a foreground
    pixel; ``mask_resampling`` is ``hr`` (mask the photo, then apply the forward model)
    or ``lr`` (the paper: downscale photo and mask separately, multiply); ``ema``
    averages the weights; ``channels_last`` stores activations pixel by pixel (same
    arithmetic, faster on CPUs).

    The output: ``output`` is ``last`` (the last iterate, train mode, as the paper) or
    ``eval`` (eval-mode prediction of the averaged network); ``tile`` bounds the
    prediction's tile side for large images; ``ensemble`` averages the prediction over
    that many flips and quarter turns.

    ``max_memory`` bounds the memory a restoration adds (None: what is free;
    docs/reliability.md, "Memory").

    The kind of recording: ``polarity`` is ``bright`` (fluorescence: the objects are
    brighter than their background), ``dark`` (brightfield: dark, absorbing objects on
    a bright field) or ``auto`` (read from the image); ``volume`` restores a z stack
    ``planes`` (plane by plane, each warm-started from the last) or ``3d`` (one 3-D
    network over the volume).
    """

    method: Literal["hist-dip", "dip", "threshold"] = "hist-dip"
    preset: Literal["fast", "paper", "custom"] = "fast"
    threshold: Union[float, str] = "learned"
    threshold_low: Optional[Union[float, str]] = None
    sample: Optional[Literal["auto", "beads", "filaments", "cells"]] = "auto"
    primary: Literal["auto", "signal", "recording"] = "auto"
    channel: str = "auto"
    background: Literal["none", "envelope", "rolling-ball", "tophat"] = "envelope"
    background_radius: Union[float, Literal["auto"]] = "auto"
    mask_min_size: int = Field(0, ge=0)
    mask_grow: int = Field(1, ge=0, le=50)
    threshold_smooth: float = Field(1.0, ge=0, le=20)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    physics: PhysicsConfig = Field(default_factory=PhysicsConfig)
    input: Literal["image", "noise"] = "image"
    input_channels: int = Field(1, ge=1)
    noise_model: Literal["gaussian", "poisson-gaussian"] = "gaussian"
    signal_gain: Literal["none", "peak"] = "none"
    iterations: int = Field(600, ge=1)
    lr: float = Field(6e-3, gt=0)
    patch_size: Optional[int] = Field(128, ge=32)
    batch_size: int = Field(4, ge=1)
    foreground_crops: float = Field(0.5, ge=0, le=1)
    ema: Optional[float] = Field(0.9, ge=0, lt=1)
    output: Literal["last", "eval"] = "eval"
    mask_resampling: Literal["hr", "lr"] = "hr"
    tile: Optional[int] = Field(1024, ge=64)
    ensemble: Literal[1, 2, 4, 8] = 1
    channels_last: bool = True
    stopping: StoppingConfig = Field(default_factory=StoppingConfig)
    seed: int = 0
    device: str = "cpu"
    #: The memory a restoration may add to its process, in bytes (``2G``, ``500M`` are
    #: read too); None: what the machine and the process's limits leave. Above it
    #: ``tile`` and ``patch_size`` are lowered, or the run refused
    #: (:func:`histdip.memory.plan_memory`). A setting of how to run, like ``device``.
    max_memory: Optional[int] = None
    polarity: Literal["auto", "bright", "dark"] = "auto"
    volume: Literal["planes", "3d"] = "planes"

    @field_validator("threshold", "threshold_low", mode="before")
    @classmethod
    def _check_threshold(cls, value, info):
        if value is None and info.field_name == "threshold_low":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"threshold must be a number 0-255 or a rule name, got {value!r}")
        if isinstance(value, str):
            spec = value.strip().lower()
            try:
                value = float(spec)
            except ValueError:
                if spec in THRESHOLD_RULES or (spec == LEARNED and info.field_name == "threshold"):
                    return spec
                if spec.startswith("percentile:"):
                    try:
                        p = float(spec.split(":", 1)[1])
                    except ValueError:
                        raise ValueError(f"percentile:P needs a number P, got {value!r}") from None
                    if not 0 <= p <= 100:
                        raise ValueError(f"percentile must lie in 0-100, got {p:g}")
                    return f"percentile:{p:g}"
                raise ValueError(
                    f"threshold must be a number 0-255, one of {', '.join(THRESHOLD_RULES)}, 'percentile:P' or "
                    f"{LEARNED!r} (threshold only), "
                    f"got {value!r}"
                )
        if not 0 <= float(value) <= 255:
            raise ValueError(f"threshold T={value} is outside 0-255 (the paper's grey scale)")
        return float(value)

    @model_validator(mode="after")
    def _learned_rules(self):
        learned = self.threshold == LEARNED
        if self.primary != "auto" and not learned:
            raise ValueError(f"primary={self.primary} needs threshold='learned' (only a learned split writes layers)")
        if self.signal_gain != "none" and not learned:
            raise ValueError(f"signal_gain={self.signal_gain} needs threshold='learned' (it scales a learned split's signal)")
        if learned and self.threshold_low is not None:
            raise ValueError("threshold_low has no meaning with threshold='learned' (the split is soft already)")
        return self

    @field_validator("background_radius")
    @classmethod
    def _check_radius(cls, value):
        if value != "auto" and not 0 < float(value) <= 10000:
            raise ValueError(f"background radius must be 'auto' or a number of pixels in (0, 10000], got {value}")
        return value

    @field_validator("max_memory", mode="before")
    @classmethod
    def _check_max_memory(cls, value):
        if value is None:
            return None
        from ..memory import parse_size

        try:
            return parse_size(value)
        except ConfigError as err:
            raise ValueError(str(err)) from None

    @field_validator("device")
    @classmethod
    def _check_device(cls, value):
        if value not in ("cpu", "cuda", "mps", "auto") and not value.startswith("cuda:"):
            raise ValueError(f"device must be cpu, cuda, cuda:N, mps or auto, got {value!r}")
        return value

    @classmethod
    def validated(cls, **fields):
        """Like the constructor, but a bad value raises :class:`ConfigError` in one line."""
        try:
            return cls(**fields)
        except ValidationError as err:
            raise ConfigError(one_line(err)) from None

    def replace(self, **changes):
        """A validated copy with ``changes`` applied (nested sections as dicts, merged)."""
        from .resolve import merge_settings

        return type(self).validated(**merge_settings(self.model_dump(), changes))

    def to_dict(self):
        """The fields as plain JSON types."""
        return self.model_dump(mode="json")

    def save(self, path, extra=None):
        """Write to ``path`` with the schema version (:func:`histdip.config.save_config`)."""
        from .files import save_config

        return save_config(self, path, extra)

    @classmethod
    def load(cls, path):
        """Read a saved or hand-written config file (:func:`histdip.config.load_config`)."""
        from .files import load_config

        return load_config(path)


def one_line(err: ValidationError, where_prefix=""):
    """A pydantic error as one line: the first problem, and how many more."""
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "config"
    msg = first["msg"].removeprefix("Value error, ")
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{where_prefix}invalid setting {where}: {msg}{more}"
