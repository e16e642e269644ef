"""`histdip threshold`: the threshold prior ``histdip restore`` would use, without fitting.

It runs restore's own first stages (:meth:`histdip.HistDip.prepare`) with the same
flags, so what it prints is what restore does: T and the grey it lives on, the
foreground fraction, the background radius and, by default, the learned split and the
primary layer it picks and why (with ``--sample auto``: what that choice decides). It also prints the flags that give this T by hand, and plots the
256-bin histogram with T marked (``<stem>_histogram.png`` in the current folder or
``--outdir``, or ``--plot PATH``; ``--no-plot`` skips it).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ConfigError
from ..io import check_output_path, read_image
from ..plotting import histogram_plot
from ..result import split_record
from ..validate import require_signal
from . import config_flags, outputs


def register(sub):
    p = sub.add_parser(
        "threshold",
        help="show the threshold T, the foreground fraction and the histogram restore would use",
        description="Run histdip restore's threshold prior on an image without fitting: print T (0-255 grey), "
        "the grey it lives on, the fraction of pixels above it and, by default, what the automatic choice "
        "decides; plot the 256-bin histogram with T marked.",
    )
    p.add_argument("image", metavar="IMAGE", help="PNG, JPEG, BMP or TIFF image")
    config_flags.add_prior_options(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--plot", metavar="PATH", default=None, help="histogram PNG to write")
    where.add_argument("--outdir", metavar="DIR", default=None,
                       help="folder for <stem>_histogram.png (default: current folder)")
    where.add_argument("--no-plot", action="store_true", help="do not write the histogram")
    p.add_argument("--overwrite", action="store_true", help="replace an existing histogram PNG")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)
    return p


def hand_flags(prior):
    """The flags that give ``prior``'s T by hand to ``histdip restore``, exactly: the
    numbers are written in full, so restore reads back the same T and radius."""
    flags = [f"--threshold {float(prior.threshold)!r}"]
    if prior.background != "none":
        flags += [f"--background {prior.background}", f"--background-radius {float(prior.background_radius)!r}"]
    return " ".join(flags)


def _split_report(prep):
    """The learned split and the primary layer, as restore records them (empty without one)."""
    if prep.split_prior is None:
        return {}
    return split_record(prep.split_prior, prep.primary, prep.config.primary)


def run(args):
    from ..pipeline import HistDip

    config = config_flags.config_from_args(args)
    path = Path(args.image)
    plot = None
    if not args.no_plot:
        plot = Path(args.plot) if args.plot else Path(args.outdir or ".") / f"{path.stem}_histogram.png"
        if plot.suffix.lower() != ".png":
            raise ConfigError(f"{plot}: the histogram is written as PNG; give a name ending in .png")
        if args.outdir:
            outputs.make_folder(plot)
        check_output_path(plot, overwrite=args.overwrite, protect=[path])
    image = read_image(path)
    with outputs.about(path):
        prep = HistDip(config).prepare(require_signal(image))
    prior, choice = prep.prior, prep.choice
    count, total = int(prior.mask.sum()), int(prior.mask.size)
    low = prior.threshold_low
    if plot is not None:
        title = f"{path.name}: T = {prior.threshold:.4g} on the {prior.describe_grey()}"
        with outputs.writing(plot):
            histogram_plot(prior.grey, prior.threshold, plot, title, low=low, overwrite=args.overwrite,
                           protect=[path])
    report = {
        "image": str(path),
        "threshold": prior.threshold,
        "threshold_low": low,
        "threshold_on": prior.describe_grey(),
        "threshold_rule": prep.config.threshold,
        "background": prior.background,
        "background_radius": prior.background_radius,
        "foreground_fraction": count / total,
        "foreground_pixels": count,
        "pixels": total,
        "sample": prep.config.sample,
        "sample_reason": "" if choice is None else choice.reason,
        "sample_statistic": None if choice is None else choice.statistic,
        **_split_report(prep),
        "method": prep.config.method,
        "by_hand": hand_flags(prior),
        "plot": None if plot is None else str(plot),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    kept = "> T" if low is None or low >= prior.threshold else f"> {low:.4g} and joined to > T"
    rule = prep.config.threshold
    how = "" if not isinstance(rule, str) else f" ({rule})"
    print(f"{path}: T = {prior.threshold:.4g}{how} on the {prior.describe_grey()}; foreground ({kept}) "
          f"{100 * count / total:.2f} % ({count} of {total} pixels)")
    if choice is not None:
        print(f"sample {choice.sample}: {choice.reason.removeprefix('auto: ')}")
    if prep.split_prior is not None:
        split = prep.split_prior.split
        print(f"learned split on the {prep.split_prior.describe_grey()}: T = {split.threshold:.4g}, softness "
              f"{split.softness:.2g}, signal {100 * split.signal_share:.1f} % of pixels")
        print(prep.primary.reason if prep.primary is not None else f"primary {prep.config.primary} (given)")
    elif prep.config.method == "hist-dip" and prior.zeroes_recording:
        print(f"this T by hand: histdip restore {path} {hand_flags(prior)}")
    if plot is not None:
        print(f"histogram: {plot}")
    return 0
