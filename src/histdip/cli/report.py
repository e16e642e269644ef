"""`histdip report`: the interactive HTML report of a restored image, from its run's JSON.

``histdip report RUN.json`` reads ``<stem>_histdip.json`` and what ``histdip restore``
wrote beside it (the output, the layers, the snapshots folder) and the photo it names,
and writes ``<stem>_histdip_report.html`` beside the JSON (``-o`` elsewhere): one
self-contained page that opens offline (:mod:`histdip.report`, docs/report.md).
``histdip restore --report`` writes the same page straight from the run, taking the
snapshots of the iteration slider by itself (:func:`report_snapshots`).

An existing page is refused unless ``--overwrite``; errors are one line.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from ..io import check_output_path, read_image
from ..report.page import default_report_path
from . import config_flags, outputs

#: The extensions a report may be written with.
REPORT_EXTENSIONS = (".html", ".htm")


def register(sub):
    p = sub.add_parser(
        "report",
        help="write the interactive HTML report of a restored image (from its <stem>_histdip.json)",
        description="Write one self-contained HTML page for a restored image: the input and the restored "
        "layers with a divider, zoom and pan; the fit's snapshots on a slider with the loss and the "
        "stopping rule; the histogram with T and the mask; the counted objects with their table; "
        "reference-free figures, the settings and the run record. Opens offline; fetches nothing.",
    )
    p.add_argument("run", metavar="RUN.json",
                   help="the <stem>_histdip.json that histdip restore wrote; or a batch's --outdir (or its "
                   "histdip_summary.csv): the batch's index page, thumbnails and a sortable table")
    p.add_argument("-o", "--output", metavar="HTML", default=None,
                   help="the page (default: <run stem>_report.html beside the JSON; a batch's index.html in "
                   "its folder)")
    p.add_argument("--reference", metavar="CLEAN", default=None,
                   help="a clean image of the same scene: PSNR and SSIM of the input and the output against it")
    p.add_argument("--dip", metavar="RUN.json", default=None,
                   help="the run of the same photo with --method dip: its curves beside this run's")
    p.add_argument("--pixel-size", type=config_flags.positive_float, metavar="UM", default=None,
                   help="side of a pixel in micrometres, for the counted objects' density")
    p.add_argument("--overwrite", action="store_true", help="replace an existing page")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    p.set_defaults(func=run)
    return p


def check_report_path(path):
    """``path`` as a report's destination; a :class:`ConfigError` unless it ends in .html."""
    path = Path(path)
    if path.suffix.lower() not in REPORT_EXTENSIONS:
        raise ConfigError(f"{path}: a report is an HTML page; give a name ending in .html")
    return path


def report_snapshots(config):
    """The snapshots a report's slider needs: at most :data:`histdip.report.SNAPSHOT_LIMIT`,
    evenly over the fit wherever it stops, each no larger than the page shows it."""
    from ..fit import SnapshotPlan
    from ..report import SNAPSHOT_LIMIT
    from ..report.images import MAX_SIDE

    every = max(1, min(config.stopping.check_every, config.iterations // SNAPSHOT_LIMIT))
    return SnapshotPlan(every=every, limit=SNAPSHOT_LIMIT, max_side=MAX_SIDE)


def report_html(result, image, path, *, pixel_size=None):
    """The page of a restoration held in memory (what ``histdip restore --report`` writes)."""
    from ..io import read_pixel_size
    from ..report import build_report, render_html

    data = build_report(result, image, name=Path(path).name, pixel_size=pixel_size or read_pixel_size(path))
    return render_html(data)


def summary_line(data, path):
    """What ``histdip report`` prints once the page is written."""
    size = Path(path).stat().st_size / 1e6
    counted = "counting not available" if data.counts is None else f"{data.counts['summary']['count']} objects"
    return f"wrote {path} ({size:.1f} MB; {len(data.snapshots)} slider positions; {counted})"


def run(args):
    from ..report import read_run_record, render_html, report_from_run, write_report

    source = Path(args.run)
    if source.is_dir() or source.suffix.lower() == ".csv":
        return run_index(args, source)
    out = check_report_path(args.output) if args.output else default_report_path(source.with_suffix(".tif"))
    protect = [source] + ([Path(args.reference)] if args.reference else [])
    check_output_path(out, overwrite=args.overwrite, protect=protect, folder_may_be_missing=True)
    reference = read_image(args.reference) if args.reference else None
    dip = read_run_record(args.dip)["run"] if args.dip else None
    data = report_from_run(source, reference=reference, dip=dip, pixel_size=args.pixel_size,
                           reference_name=Path(args.reference).name if args.reference else "reference")
    outputs.make_folder(out)
    with outputs.writing(out):
        write_report(render_html(data), out, overwrite=args.overwrite, protect=protect)
    outputs.say(args, summary_line(data, out))
    return 0


def run_index(args, source):
    """``histdip report OUTDIR``: the index page of a batch."""
    from ..report import write_index

    for flag in ("reference", "dip", "pixel_size"):
        if getattr(args, flag, None) is not None:
            raise ConfigError(f"--{flag.replace('_', '-')} is for one run's page, not a batch's index; "
                              "give the run's JSON instead")
    out = check_report_path(args.output) if args.output else None
    page = write_index(source, out, overwrite=True)
    outputs.say(args, f"wrote {page} (the batch's index: {page.stat().st_size / 1e6:.1f} MB)")
    return 0
