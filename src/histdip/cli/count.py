"""`histdip count`: count the beads of a photo (restored first) or of a histdip output.

INPUT is either

* a photo (PNG, JPEG, BMP or TIFF that is not a histdip output): restored with the
  default settings (``--iterations``, ``--seed`` ... as for ``histdip restore``), and its
  signal layer counted (:func:`histdip.count.count_result`);
* a histdip output, counted as it is, without restoring: the run record
  ``<stem>_histdip.json`` (its signal layer ``<stem>_histdip_signal.tif`` beside it is
  counted), or an image ``<stem>_histdip_signal.tif`` or ``<stem>_histdip.tif``. The
  threshold's noise then comes from the run record beside it, and the clipped flags
  from the photo it names (where that photo is still there).

It writes the table (``-o``, default ``histdip-output/<stem>_counts.csv``), a summary
``<csv stem>_summary.json`` and an outline overlay (``--overlay``, default
``<csv stem>_overlay.png``), all or none, never over an existing file without
``--overwrite``, and prints a short summary. The pixel size (for the density per mm²)
is read from a TIFF's metadata (:func:`histdip.io.read_pixel_size`); ``--pixel-size``
gives or overrides it.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from ..count_files import count_output, histdip_output
from ..errors import InputError
from ..io import OutputBatch, read_image, read_pixel_size, write_image
from ..validate import require_signal
from . import config_flags, outputs

#: The restoring flags (:func:`histdip.cli.config_flags.add_fit_options`): refused with a histdip output.
FIT_FLAGS = ("method", "iterations", "stop", "stop_level", "downsample", "noise_model", "lr", "ensemble", "seed",
             "device")


def register(sub):
    p = sub.add_parser(
        "count",
        help="count beads: a photo (restored first) or a histdip output, as CSV, summary and overlay",
        description="Count the beads of INPUT: a photo is restored first (default settings) and its signal "
        "layer counted; a histdip output (<stem>_histdip.json, <stem>_histdip_signal.tif or <stem>_histdip.tif) "
        "is counted as it is. Writes a CSV (one row per bead: id, centroid, area, equivalent radius, "
        "integrated, mean and peak intensity, clipped), <csv stem>_summary.json and an outline overlay PNG.",
    )
    p.add_argument("input", metavar="INPUT", help="a photo, or a histdip output (.json run record or .tif layer)")
    p.add_argument("-o", "--output", metavar="CSV", default=None,
                   help=f"the table (default: ./{outputs.DEFAULT_OUTDIR}/<input stem>_counts.csv)")
    p.add_argument("--overlay", metavar="PNG", default=None,
                   help="the outline overlay (default: <csv stem>_overlay.png beside the CSV)")
    p.add_argument("--pixel-size", type=config_flags.positive_float, metavar="UM", default=None,
                   help="side of a pixel in micrometres, for the density per mm² (default: from the TIFF's "
                   "metadata; a phone photo carries none)")
    p.add_argument("--min-snr", type=config_flags.positive_float, metavar="K", default=None,
                   help="faintest bead counted, in noise sigma of the photo (default 3)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files (never the input)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary lines")
    config_flags.add_fit_options(p)
    p.set_defaults(func=run)
    return p


def output_names(args):
    """(csv, summary json, overlay png) paths of this run."""
    source = Path(args.input)
    csv = Path(args.output) if args.output else Path(outputs.DEFAULT_OUTDIR) / f"{source.stem}_counts.csv"
    if csv.suffix.lower() != ".csv":
        raise InputError(f"{csv}: the table is written as CSV; give a name ending in .csv")
    overlay = Path(args.overlay) if args.overlay else csv.with_name(f"{csv.stem}_overlay.png")
    if overlay.suffix.lower() != ".png":
        raise InputError(f"{overlay}: the overlay is written as PNG; give a name ending in .png")
    return csv, csv.with_name(f"{csv.stem}_summary.json"), overlay


def count_photo(path, args):
    """Restore the photo ``path`` and count its signal layer: ``(Counts, notes, display image)``."""
    from ..count import count_result
    from ..pipeline import restore_detailed

    photo = read_image(path)
    config = config_flags.config_from_args(args)
    with outputs.about(path):
        result = restore_detailed(require_signal(photo), config, progress=not args.quiet)
    pixel_size = args.pixel_size or read_pixel_size(path)
    options = {} if args.min_snr is None else {"min_snr": args.min_snr}
    with outputs.about(path):
        counts = count_result(result, photo, pixel_size=pixel_size, **options)
    layer = "signal layer" if result.layers is not None else "output (no signal layer: no learned split)"
    notes = [f"restored {path} ({result.summary(short=True)}, {result.seconds:.1f} s); counted its {layer}"]
    return counts, notes, photo


def human_summary(counts, notes):
    """The lines printed after a count."""
    s = counts.summary()
    lines = [*notes, f"{s['count']} objects ({s['clipped']} clipped: their intensities are lower bounds)"]
    if s["count"]:
        lines.append(f"median area {s['median_area_px']:.1f} px, median equivalent radius "
                     f"{s['median_equivalent_radius_px']:.2f} px")
    if s["density_per_mm2"] is None:
        lines.append("density: unknown (no pixel size: give --pixel-size UM)")
    else:
        lines.append(f"density {s['density_per_mm2']:.4g} per mm² (pixel {s['pixel_size_um']:g} µm, "
                     f"field {s['area_mm2']:.4g} mm²)")
    lines.append(f"threshold: LoG >= {s['threshold']:.4g} (noise sigma {s['noise_sigma']:.4g}, "
                 f"{s['settings']['noise_source']})")
    return lines


def run(args):
    from ..count import overlay

    path = Path(args.input)
    csv, summary_path, overlay_path = output_names(args)
    outputs.preflight([csv, summary_path, overlay_path], overwrite=args.overwrite, protect=[path])
    kind = histdip_output(path)
    if kind is not None:
        given = [f for f in FIT_FLAGS if getattr(args, f, None) is not None]
        if given:
            raise InputError(f"{path}: is a histdip output, counted as it is; --{given[0].replace('_', '-')} "
                             "belongs to restoring a photo")
        counts, notes, shown = count_output(path, kind, pixel_size=args.pixel_size, min_snr=args.min_snr)
    else:
        counts, notes, shown = count_photo(path, args)
    summary = {**counts.summary(), "input": str(path), "csv": str(csv), "overlay": str(overlay_path),
               "notes": notes, "histdip_version": __version__}
    picture = overlay(shown, counts.labels, clipped=counts.table["clipped"])
    outputs.make_folder(csv)
    with outputs.writing(csv), OutputBatch(overwrite=args.overwrite, protect=[path]) as batch:
        counts.to_csv(batch.stage(csv))
        batch.stage(summary_path).write_text(json.dumps(summary, indent=1, allow_nan=False) + "\n")
        write_image(batch.stage(overlay_path), picture, overwrite=True)
    if not args.quiet:
        for line in human_summary(counts, notes):
            print(line)
        print(f"wrote {csv}, {summary_path.name}, {overlay_path.name}")
    return 0
