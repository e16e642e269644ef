"""The command-line flags that make a :class:`~histdip.config.RestoreConfig`.

Every flag defaults to None, so that "given on the command line" can be told apart from
"not given": the config is the preset (``--preset``, default ``fast``) or the file
(``--config``), and only flags given explicitly override it
(:func:`histdip.config.resolve_config`). ``histdip restore``, ``fit`` and ``threshold``
share them, so a flag means the same in each.
"""

from __future__ import annotations

from ..colour import CHANNEL_NAMES
from ..config import BACKGROUNDS, PRIMARY_LAYERS, SAMPLE_KINDS, THRESHOLD_RULES, resolve_config
from ..errors import ConfigError
from ..prior.choice import MIN_SNR, MIN_SNR_PHOTO

#: Flags whose value is a :class:`RestoreConfig` field of the same name.
FIELD_FLAGS = ("sample", "primary", "method", "threshold", "threshold_low", "channel", "background", "background_radius",
               "iterations", "lr", "seed", "device", "noise_model", "signal_gain", "ensemble", "max_memory",
               "polarity", "volume")


def _int_at_least(minimum, name):
    """An argparse type: an integer >= ``minimum``; ``name`` is what argparse's error calls it."""

    def convert(text):
        value = int(text)
        if value < minimum:
            raise ValueError
        return value

    convert.__name__ = name
    return convert


positive_int = _int_at_least(1, "positive integer")
non_negative_int = _int_at_least(0, "non-negative integer")


def radius_arg(text):
    """An argparse type: ``auto`` or a positive number of pixels."""
    if text.strip().lower() == "auto":
        return "auto"
    value = float(text)
    if not value > 0:
        raise ValueError
    return value


radius_arg.__name__ = "radius (auto or pixels > 0)"


def positive_float(text):
    """An argparse type: a finite number > 0."""
    value = float(text)
    if not 0 < value < float("inf"):
        raise ValueError
    return value


positive_float.__name__ = "positive number"


def size_arg(text):
    """An argparse type: a memory size (``2G``, ``500M``, bytes; :func:`histdip.memory.parse_size`)."""
    from ..memory import parse_size

    try:
        return parse_size(text)
    except ConfigError:
        raise ValueError from None


size_arg.__name__ = "memory size (like 2G or 500M)"

THRESHOLD_HELP = (
    f"T: a number on the paper's 0-255 BT.601 grey (mask = grey > T on the raw grey, as the paper; with "
    f"--background as well, on the background-subtracted grey), or a rule: {', '.join(THRESHOLD_RULES)}, "
    "percentile:P (default: yen, on the background-subtracted grey); or learned: the split of the recording "
    "into background and signal learned from its histogram, with three layers written (signal, recording, "
    "background; docs/decisions/signal-model.md)"
)


def add_prior_options(parser):
    """The flags of the threshold prior (shared by ``restore``, ``fit`` and ``threshold``)."""
    g = parser.add_argument_group("threshold prior (override --preset or --config)")
    g.add_argument("--preset", choices=("fast", "paper"), default=None,
                   help="named settings to start from (default: fast; 'paper' is the authors' configuration)")
    g.add_argument("--config", metavar="FILE", default=None,
                   help="start from a config saved by histdip (the .json written beside an output, or YAML)")
    g.add_argument("--sample", choices=SAMPLE_KINDS, default=None,
                   help="settings for a kind of sample: beads (threshold prior), filaments (hysteresis threshold, "
                   "closer fit) or cells (whole image fitted, no threshold); flags given as well win. Default "
                   f"auto: beads where the objects above T stand >= {MIN_SNR:g} noise sigma above the floor (>= "
                   f"{MIN_SNR_PHOTO:g} on a colour photo), else cells; off when a threshold or background flag "
                   "is given")
    g.add_argument("--threshold", metavar="T", default=None, help=THRESHOLD_HELP)
    g.add_argument("--primary", choices=PRIMARY_LAYERS, default=None,
                   help="with --threshold learned: the layer written as the output (auto: signal where the "
                   "background stands clear of the darkest recorded level, else the recording)")
    g.add_argument("--threshold-low", metavar="T", default=None,
                   help="a second, lower T (same forms): hysteresis, pixels above it are kept where they connect "
                   "to pixels above T (default: none)")
    g.add_argument("--background", choices=BACKGROUNDS, default=None,
                   help="smooth background subtracted from the grey and the fitted plane before T is chosen and "
                   "applied (default: rolling-ball for fast, none for paper and for a number given as --threshold)")
    g.add_argument("--background-radius", type=radius_arg, metavar="PX", default=None,
                   help="rolling-ball / top-hat radius in pixels, or auto (default: 1.5 x the radius of the larger "
                   "objects found, 6-64 px)")
    g.add_argument("--channel", metavar="C", default=None,
                   help=f"plane to restore: {', '.join(CHANNEL_NAMES)} or an index N (default: auto for fast, "
                   "rgb for paper); T is always chosen on the BT.601 grey")
    g.add_argument("--polarity", choices=("auto", "bright", "dark"), default=None,
                   help="bright: objects brighter than their background (fluorescence); dark: dark objects on a "
                   "bright field (brightfield); auto (default): read from the image")
    g.add_argument("--volume", choices=("planes", "3d"), default=None,
                   help="a z stack: planes (default: plane by plane, each started from the last) or 3d (one 3-D "
                   "network over the volume)")
    return g


def add_fit_options(parser, *, methods=("hist-dip", "dip", "threshold")):
    """The flags of the fit (``restore`` and ``fit``)."""
    g = parser.add_argument_group("fit (override --preset or --config)")
    g.add_argument("--method", choices=methods, default=None,
                   help="hist-dip: threshold prior + DIP (default); dip: DIP alone; threshold: the prior alone")
    g.add_argument("--iterations", type=positive_int, metavar="N", default=None, help="fitting steps (the most)")
    g.add_argument("--stop", choices=("noise-level", "plateau", "fixed"), default=None,
                   help="when fitting stops: noise-level (default: once the output differs from the image by "
                   "its estimated noise, or the fit levels off), plateau, or fixed (all --iterations; paper)")
    g.add_argument("--stop-level", type=positive_float, metavar="X", default=None,
                   help="noise-level rule: stop once the output differs from the image by X times its "
                   "estimated noise variance (default 1.0; lower fits closer)")
    g.add_argument("--downsample", type=positive_int, metavar="F", default=None,
                   help="forward model: the output is compared with the image after F x downsampling "
                   "(default: 2 for fast, 4, the paper's, for paper; 1 compares at full resolution)")
    g.add_argument("--noise-model", choices=("gaussian", "poisson-gaussian"), default=None,
                   help="data-fit loss: gaussian (plain MSE, default) or poisson-gaussian (compared after a "
                   "variance-stabilising transform with the noise estimated from the image)")
    g.add_argument("--signal-gain", choices=("none", "peak"), default=None,
                   help="with --threshold learned: peak fits the signal at unit peak and hands it back at its own "
                   "scale (default none; docs/decisions/signal-gain.md)")
    g.add_argument("--lr", type=positive_float, metavar="X", default=None, help="Adam learning rate")
    g.add_argument("--ensemble", type=int, choices=(1, 2, 4, 8), default=None,
                   help="average the prediction over this many flips/quarter turns of the image (default 1)")
    g.add_argument("--seed", type=int, metavar="S", default=None, help="random seed (default 0)")
    g.add_argument("--device", metavar="D", default=None, help="cpu, cuda, cuda:N, mps or auto (default cpu)")
    g.add_argument("--max-memory", type=size_arg, metavar="SIZE", default=None,
                   help="memory the restoration may use, like 2G or 500M (default: what the machine and the "
                   "process's limits leave); above it the prediction's tiles and the fit's crops are made "
                   "smaller, or the run is refused with what to change")
    return g


def config_from_args(args):
    """The :class:`RestoreConfig` the flags describe.

    ``--config FILE`` (or ``--preset``, default ``fast``) gives the starting point; flags
    given explicitly replace its fields. ``--preset`` and ``--config`` together are
    refused: each sets every field.
    """
    overrides = {name: getattr(args, name) for name in FIELD_FLAGS if getattr(args, name, None) is not None}
    stopping = {}
    if getattr(args, "stop", None):
        stopping["rule"] = args.stop
    if getattr(args, "stop_level", None):
        stopping["level"] = args.stop_level
    if stopping:
        overrides["stopping"] = stopping  # merged into the preset's stopping settings
    if getattr(args, "downsample", None):
        factor = args.downsample
        overrides["physics"] = {"kind": "identity" if factor == 1 else "downsample", "factor": factor}
    if getattr(args, "config", None) and getattr(args, "preset", None):
        raise ConfigError("give --preset or --config, not both (each sets every setting)")
    return resolve_config(getattr(args, "config", None), preset=getattr(args, "preset", None), **overrides)
