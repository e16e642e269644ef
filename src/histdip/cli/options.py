"""What the image-writing sub-commands share: config flags, output paths, the input loop.

* :func:`add_config_options` / :func:`config_from_args`: the :class:`RestoreConfig`
  flags. Every flag defaults to ``None`` so that "given on the command line" can be told
  apart from "not given": the config is the preset (``--preset``, default ``fast``) or the
  file (``--config``), and only flags given explicitly override it.
* :func:`add_output_options` / :func:`output_paths`: ``-o`` / ``--outdir``, default names,
  and the checks that no output overwrites an input, an earlier output of the same run,
  or (without ``--overwrite``) an existing file. They run before any fitting, so a
  refusal costs nothing.
* :func:`for_each_input`: run a handler per input; an error on one input is reported in
  one line and the others still run; the exit code is 2 if any failed.
"""

from __future__ import annotations

import contextlib
import sys
import typing
from pathlib import Path

from ..color import CHANNEL_NAMES
from ..config import RestoreConfig
from ..settings import resolve_config
from ..samples import SAMPLES
from ..errors import ConfigError, HistdipError, InputError
from ..io import WRITE_EXTENSIONS, check_output_path

#: Folder written to when neither ``-o`` nor ``--outdir`` is given (relative to the cwd).
DEFAULT_OUTDIR = "histdip-output"

#: The background subtractions the threshold prior offers, as the config spells them.
BACKGROUNDS = typing.get_args(RestoreConfig.model_fields["background"].annotation)

#: Config fields settable by a flag: (flag dest, RestoreConfig field).
CONFIG_FLAGS = ("sample", "method", "threshold", "threshold_low", "channel", "background", "background_radius", "iterations", "lr", "seed",
                "device", "noise_model", "ensemble")


def _int_at_least(minimum, name):
    """An argparse type: an integer >= ``minimum``; ``name`` is what argparse's error calls it."""

    def convert(text):
        value = int(text)
        if value < minimum:
            raise ValueError
        return value

    convert.__name__ = name
    return convert


_positive_int = _int_at_least(1, "positive integer")
_non_negative_int = _int_at_least(0, "non-negative integer")


def radius_arg(text):
    """An argparse type: ``auto`` or a positive number of pixels."""
    if text.strip().lower() == "auto":
        return "auto"
    value = float(text)
    if not value > 0:
        raise ValueError
    return value


radius_arg.__name__ = "radius (auto or pixels > 0)"


def _positive_float(text):
    value = float(text)
    if not 0 < value < float("inf"):
        raise ValueError
    return value


_positive_float.__name__ = "positive number"


def add_config_options(parser, *, methods=("hist-dip", "dip", "threshold")):
    """The flags that build a :class:`RestoreConfig` (all default to None: "not given")."""
    g = parser.add_argument_group("restoration settings (override --preset or --config)")
    g.add_argument("--preset", choices=("fast", "paper"), default=None,
                   help="named settings to start from (default: fast; 'paper' is the authors' configuration)")
    g.add_argument("--config", metavar="FILE", default=None,
                   help="start from a config saved by histdip (the .json written beside an output, or YAML)")
    g.add_argument("--sample", choices=("auto",) + tuple(SAMPLES), default=None,
                   help="the fast preset's settings for a kind of sample: beads (threshold prior), filaments "
                   "(hysteresis threshold, closer fit) or cells (whole image fitted, no threshold); flags given "
                   "as well win. Default auto: beads where the objects above T stand >= 15 noise sigma "
                   "above the floor, else cells; off when --threshold/--background are given")
    g.add_argument("--method", choices=methods, default=None,
                   help="hist-dip: threshold prior + DIP (default); dip: DIP alone; threshold: threshold only")
    g.add_argument("--threshold", metavar="T", default=None,
                   help="threshold on the 0-255 grey scale: a number, otsu, triangle, li, yen or percentile:P "
                   "(default: yen)")
    g.add_argument("--threshold-low", metavar="T", default=None,
                   help="a second, lower threshold (same forms as --threshold): hysteresis, pixels above it "
                   "are kept where they connect to pixels above T; for filaments and cells whose dim parts "
                   "fall below T (default: none, one T; it joins the flare around saturated beads on phone "
                   "photos)")
    g.add_argument("--channel", metavar="C", default=None,
                   help=f"plane to restore: {', '.join(CHANNEL_NAMES)} or an index N (default: auto for fast, "
                   "rgb for paper)")
    g.add_argument("--background", choices=BACKGROUNDS, default=None,
                   help="subtract a smooth background before thresholding (default: rolling-ball for fast, "
                   "none for paper); T then applies to the background-subtracted grey")
    g.add_argument("--background-radius", type=radius_arg, metavar="PX", default=None,
                   help="rolling-ball / top-hat radius in pixels, or auto (default: 1.5 x the radius of the "
                   "larger objects found, 6-64 px)")
    g.add_argument("--iterations", type=_positive_int, metavar="N", default=None, help="fitting steps (the most)")
    g.add_argument("--stop", choices=("noise-level", "plateau", "fixed"), default=None,
                   help="when fitting stops: noise-level (default: once the output differs from the image by "
                   "its estimated noise, or the fit levels off), plateau, or fixed (all --iterations; paper)")
    g.add_argument("--stop-level", type=_positive_float, metavar="X", default=None,
                   help="noise-level rule: stop once the output differs from the image by X times its "
                   "estimated noise variance (default 1.0; lower fits closer)")
    g.add_argument("--downsample", type=_positive_int, metavar="F", default=None,
                   help="forward model: the output is compared with the image after F x downsampling "
                   "(default: the preset's, 2 for fast and 4, the paper's, for paper; 1 compares at full "
                   "resolution)")
    g.add_argument("--noise-model", choices=("gaussian", "poisson-gaussian"), default=None,
                   help="data-fit loss: gaussian (plain MSE, default) or poisson-gaussian (compared after a "
                   "variance-stabilising transform with parameters estimated from the image)")
    g.add_argument("--lr", type=float, metavar="X", default=None, help="Adam learning rate")
    g.add_argument("--ensemble", type=int, choices=(1, 2, 4, 8), default=None,
                   help="average the prediction over this many flips/quarter turns of the image (default: "
                   "the preset's)")
    g.add_argument("--seed", type=int, metavar="S", default=None, help="random seed (default 0)")
    g.add_argument("--device", metavar="D", default=None, help="cpu, cuda, cuda:N, mps or auto (default cpu)")
    return g


def config_from_args(args):
    """The :class:`RestoreConfig` the flags describe.

    ``--config FILE`` (or ``--preset``, default ``fast``) gives the starting point; flags
    given explicitly replace its fields. ``--preset`` and ``--config`` together are
    refused: each sets every field.
    """
    overrides = {name: getattr(args, name) for name in CONFIG_FLAGS if getattr(args, name, None) is not None}
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


def add_output_options(parser, *, side_by_side=True, keep_dtype=True):
    """``-o``/``--outdir``, ``--overwrite``, ``--keep-dtype``, ``--side-by-side``, ``--quiet``."""
    g = parser.add_argument_group("output")
    where = g.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="FILE", default=None,
                       help="output image (.tif: exact float32 values; .png: 8-bit); one input only")
    where.add_argument("--outdir", metavar="DIR", default=None,
                       help=f"folder for the outputs (default: ./{DEFAULT_OUTDIR}); created if missing")
    if keep_dtype:
        g.add_argument("--keep-dtype", action="store_true",
                       help="write a .tif in the input's integer type (rounded, clipped) instead of float32")
    g.add_argument("--overwrite", action="store_true", help="replace existing output files (never an input)")
    if side_by_side:
        g.add_argument("--side-by-side", action="store_true",
                       help="also write <output stem>_side_by_side.png: input and result at display contrast")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary lines")
    return g


def output_paths(inputs, args, suffix):
    """Destination image of each input: ``-o FILE`` or ``OUTDIR/<stem><suffix>.tif``.

    Checks that ``-o`` goes with a single input and has a writable extension, and that no
    two inputs share a destination. The folder is created (only when every check passes).

    Returns
    -------
    list of pathlib.Path, one per input
    """
    inputs = [Path(p) for p in inputs]
    if args.output:
        if len(inputs) != 1:
            raise ConfigError(f"-o names one output but {len(inputs)} inputs were given; use --outdir")
        out = Path(args.output)
        if out.suffix.lower() not in WRITE_EXTENSIONS:
            raise ConfigError(
                f"{out}: output must end in .tif, .tiff or .png (got {out.suffix or 'no extension'})"
            )
        outs = [out]
    else:
        outdir = Path(args.outdir or DEFAULT_OUTDIR)
        if outdir.exists() and not outdir.is_dir():
            raise InputError(f"{outdir}: exists and is not a folder")
        outs = [outdir / f"{p.stem}{suffix}.tif" for p in inputs]
    seen = {}
    for inp, out in zip(inputs, outs):
        key = str(out.resolve()) if out.parent.exists() else str(out.absolute())
        if key in seen:
            raise ConfigError(
                f"{inp} and {seen[key]} would both be written to {out}; restore them in separate runs "
                "or rename one"
            )
        seen[key] = inp
    return outs


def make_folder(path):
    """Create the folder an output goes to; a one-line error when that is impossible."""
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"{folder}: cannot create output folder ({err.strerror or err})") from None


def side_paths(out):
    """Files written beside output image ``out``: config+record JSON, side-by-side PNG, snapshots folder."""
    out = Path(out)
    return {
        "json": out.with_suffix(".json"),
        "side_by_side": out.with_name(f"{out.stem}_side_by_side.png"),
        "snapshots": out.with_name(f"{out.stem}_snapshots"),
    }


def snapshot_name(out_stem, iteration):
    """Snapshot file name: ``<output stem>_iter00050.tif``."""
    return f"{out_stem}_iter{int(iteration):05d}.tif"


def preflight(paths, *, overwrite, protect):
    """Refuse now, before any fitting, what :class:`~histdip.io.OutputBatch` would refuse later."""
    for path in paths:
        check_output_path(path, overwrite=overwrite, protect=protect, folder_may_be_missing=True)


def check_snapshot_folder(folder, *, overwrite):
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder (snapshots go there)")
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise InputError(f"{folder}: already exists; refusing to overwrite it (pass --overwrite to replace it)")


def for_each_input(command, inputs, handler):
    """Call ``handler(index, path)`` for each input; report failures and go on.

    With one input an error propagates (main prints it in one line). With several, each
    failure is printed as ``histdip CMD: error: ...`` and the rest still run; a final line
    counts the failures.

    Returns
    -------
    int
        0 if every input succeeded, else 2.
    """
    if len(inputs) == 1:
        handler(0, Path(inputs[0]))
        return 0
    failed = 0
    for index, path in enumerate(inputs):
        try:
            handler(index, Path(path))
        except HistdipError as err:
            failed += 1
            print(f"histdip {command}: error: {err}", file=sys.stderr)
    if failed:
        print(f"histdip {command}: {failed} of {len(inputs)} inputs failed", file=sys.stderr)
        return 2
    return 0


@contextlib.contextmanager
def about(path):
    """Prefix the message of a :class:`HistdipError` raised inside with ``path: ``.

    The library does not know file names; on the command line every error names the
    input it concerns.
    """
    try:
        yield
    except HistdipError as err:
        text = str(err)
        if text.startswith(f"{path}:"):
            raise
        raise type(err)(f"{path}: {text}") from None


@contextlib.contextmanager
def writing(path):
    """Turn an operating-system error while writing outputs (disk full, permissions)
    into a one-line :class:`InputError` naming the output."""
    try:
        yield
    except OSError as err:
        raise InputError(f"{path}: cannot write output ({err.strerror or err})") from None


def say(args, message):
    """Print a summary line unless --quiet."""
    if not getattr(args, "quiet", False):
        print(message, flush=True)
