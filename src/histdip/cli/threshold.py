"""`histdip threshold`: choose T, print it with the foreground fraction, plot the histogram.

T lives on the paper's 0-255 grey scale, computed by default from the same grey plane
that ``histdip restore`` thresholds (BT.601 luma of the image mapped to [0, 1], whatever
channel is fitted), so a T read here can be passed to ``histdip restore --threshold T``.
``--sample`` shows the T, low T and background of ``histdip restore --sample S``
(``auto``: the settings the image chooses, with the reason). ``--channel`` shows another
plane's histogram, for inspection only. The histogram PNG goes to ``<stem>_histogram.png`` in
the current folder (or ``--outdir``), or to ``--plot PATH``; ``--no-plot`` skips it.
"""

from __future__ import annotations

import json
from pathlib import Path


from ..config import PRESETS, THRESHOLD_RULES as RULES
from ..errors import ConfigError, InputError
from ..io import check_output_path, read_image
from ..plotting import histogram_plot
from ..samples import SAMPLES
from . import options



def register(sub):
    p = sub.add_parser(
        "threshold",
        help="show the threshold T, the foreground fraction and the histogram of a photo",
        description="Compute the histogram threshold T (0-255 grey scale) of an image, print it with the "
        "fraction of pixels above it, and plot the 256-bin histogram with T marked.",
    )
    p.add_argument("image", metavar="IMAGE", help="PNG, JPEG, BMP or TIFF image")
    p.add_argument("--method", choices=("manual",) + RULES + ("percentile",), default=None,
                   help="how to choose T (default: manual if --value is given, percentile if --percentile is "
                   f"given, otherwise {PRESETS['fast']['threshold']}, as histdip restore)")
    p.add_argument("--value", type=float, metavar="T", default=None, help="manual T on 0-255")
    p.add_argument("--percentile", type=float, metavar="P", default=None,
                   help="T = the P-th percentile of grey (keeps the brightest 100-P %%)")
    p.add_argument("--low", metavar="T", default=None,
                   help="a second, lower T (a number on 0-255 or a rule name): report the hysteresis mask, "
                   "as histdip restore --threshold-low")
    p.add_argument("--channel", metavar="C", default="luma",
                   help="grey plane: luma (default: what histdip restore thresholds, whatever channel it fits), "
                   "or for inspection only auto, red, green, blue or an index N")
    p.add_argument("--sample", choices=("auto",) + tuple(SAMPLES), default=None,
                   help="the T, low T and background of histdip restore --sample S (auto: what the image "
                   "chooses); flags given as well win (default: the beads settings, as restore's prior)")
    p.add_argument("--background", choices=options.BACKGROUNDS, default=None,
                   help="background subtracted before thresholding, as histdip restore does (default: "
                   f"{PRESETS['fast']['background']}, the fast preset's; none for the paper preset's T)")
    p.add_argument("--background-radius", type=options.radius_arg, metavar="PX", default=None,
                   help="background radius in pixels, or auto (default: auto, from the size of the objects)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--plot", metavar="PATH", default=None, help="histogram PNG to write")
    where.add_argument("--outdir", metavar="DIR", default=None,
                       help="folder for <stem>_histogram.png (default: current folder)")
    where.add_argument("--no-plot", action="store_true", help="do not write the histogram")
    p.add_argument("--overwrite", action="store_true", help="replace an existing histogram PNG")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)
    return p


def rule_from_args(args, default=PRESETS["fast"]["threshold"]):
    """The threshold rule (a float T or a rule name) the flags ask for; ``default`` without them."""
    method = args.method
    if method is None and args.value is None and args.percentile is None and not isinstance(default, str):
        return "manual", float(default)  # a sample's own T (cells: 0)
    if method is None:
        method = "manual" if args.value is not None else "percentile" if args.percentile is not None else default
    if method == "manual":
        if args.value is None:
            raise ConfigError("--method manual needs --value T")
        if args.percentile is not None:
            raise ConfigError("--percentile goes with --method percentile, not manual")
        if not 0 <= args.value <= 255:
            raise ConfigError(f"threshold T={args.value:g} is outside 0-255 (the paper's grey scale)")
        return method, float(args.value)
    if args.value is not None:
        raise ConfigError(f"--value is a manual T; it cannot be combined with --method {method}")
    if method == "percentile":
        if args.percentile is None:
            raise ConfigError("--method percentile needs --percentile P")
        if not 0 <= args.percentile <= 100:
            raise ConfigError(f"--percentile must lie in 0-100, got {args.percentile:g}")
        return method, f"percentile:{args.percentile:g}"
    if args.percentile is not None:
        raise ConfigError(f"--percentile goes with --method percentile, not {method}")
    return method, method


def prior_settings(args, image):
    """(grey, radius, settings, auto, sigma): the grey on 0-255, background radius and
    prior fields ``histdip restore`` would use with the same ``--sample`` and flags
    (resolved as it does: a flag set by hand turns ``auto`` off); ``auto`` is the reason
    ``--sample auto`` chose, else ""; ``sigma`` the luma's noise sigma where that choice
    read it, else None."""
    from ..restoration import prepare
    from ..settings import resolve_config

    by_hand = args.method is not None or args.value is not None or args.percentile is not None
    config = resolve_config(sample=args.sample or "beads", background=args.background,
                            background_radius=args.background_radius, threshold_low=args.low,
                            threshold=rule_from_args(args)[1] if by_hand else None)
    prep, config, auto = prepare(image, config, fit=False)
    fields = {k: getattr(config, k) for k in ("threshold", "threshold_low", "background", "background_radius")}
    return prep.gray, prep.background_radius, fields, auto, prep.grey_sigma


def run(args):
    from ..prior import foreground_mask, threshold_value
    from ..samples import choose_sample, foreground_snr, grey_noise_sigma

    rule_from_args(args)  # bad flags fail before the image is read
    channel = args.channel
    path = Path(args.image)
    plot = None
    if not args.no_plot:
        plot = Path(args.plot) if args.plot else Path(args.outdir or ".") / f"{path.stem}_histogram.png"
        if plot.suffix.lower() != ".png":
            raise ConfigError(f"{plot}: the histogram is written as PNG; give a name ending in .png")
        if args.outdir and not Path(args.outdir).is_dir():
            try:
                Path(args.outdir).mkdir(parents=True)
            except OSError as err:
                raise InputError(f"{args.outdir}: cannot create output folder ({err.strerror or err})") from None
        check_output_path(plot, overwrite=args.overwrite, protect=[path])
    image = read_image(path)
    with options.about(path):
        gray, radius, prior, chosen, sigma = prior_settings(args, image)
        method, rule = rule_from_args(args, prior["threshold"])
        background = prior["background"]
        gray = channel_gray(image, channel, gray, background, radius)
        t = threshold_value(gray, rule)
        low = prior["threshold_low"]
        t_low = None if low is None else threshold_value(gray, low)
    mask = foreground_mask(gray, t, low=t_low)
    snr = foreground_snr(gray, t, grey_noise_sigma(image) if sigma is None else sigma)
    # What restore's default would decide: only on the grey and T it decides from.
    fast = PRESETS["fast"]
    as_restore = (str(channel).lower() == "luma" and rule == fast["threshold"] and t_low is None
                  and background == fast["background"] and prior["background_radius"] == fast["background_radius"])
    auto = choose_sample(snr, image) if as_restore and args.sample in (None, "beads") else None
    if str(channel).lower() == "auto" and image.ndim == 3:
        from ..color import auto_channel

        index = auto_channel(image)
        channel = f"auto ({('red', 'green', 'blue')[index] if index < 3 else index})"
    count, total = int(mask.sum()), int(mask.size)
    if plot is not None:
        bg = "" if radius is None else f", {background} background ({radius:.3g} px) subtracted"
        title = f"{path.name}: T = {t:.4g} ({method}), channel {channel}{bg}"
        with options.writing(plot):
            histogram_plot(gray, t, plot, title, low=t_low, overwrite=args.overwrite, protect=[path])
    report = {
        "image": str(path),
        "method": method,
        "channel": channel,
        "threshold": t,
        "threshold_low": t_low,
        "background": background,
        "sample": args.sample,
        "sample_reason": chosen,
        "background_radius": radius,
        "foreground_fraction": count / total,
        "foreground_pixels": count,
        "pixels": total,
        "foreground_snr": snr,
        "auto_sample": None if auto is None else auto[0],
        "plot": None if plot is None else str(plot),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        bg = "" if radius is None else f", {background} background of {radius:.3g} px subtracted"
        kept = "> T" if t_low is None or t_low >= t else f"> {t_low:.4g} and joined to > T"
        print(f"{path}: T = {t:.4g} ({method}, channel {channel}{bg}); foreground ({kept}) "
              f"{100 * count / total:.2f} % ({count} of {total} pixels)")
        if auto is not None:
            print(f"histdip restore's default: sample {auto[0]} ({auto[1].removeprefix('auto: ')})")
        if chosen:
            print(f"--sample auto: {chosen.removeprefix('auto: ')}")
        if plot is not None:
            print(f"histogram: {plot}")
    return 0


def channel_gray(image, channel, luma_gray, background, radius):
    """The grey on 0-255 to threshold for ``channel``.

    ``'luma'`` (the default) is ``luma_gray``, exactly what ``histdip restore``
    thresholds (BT.601 luma of the image mapped to [0, 1], with the same background
    subtracted and the same smoothing), whatever channel it then fits. Any other channel
    is for inspection only (the same background, radius ``radius``, subtracted): its T
    does not carry over to ``restore``.
    """
    from ..background import subtract_background
    from ..color import select_channel
    from ..intensity import to_unit

    if str(channel).lower() in ("luma", "rgb"):
        return luma_gray
    plane = select_channel(to_unit(image), channel)
    return 255.0 * (plane if radius is None else subtract_background(plane, background, radius))
