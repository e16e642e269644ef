"""`histdip restore`: restore one or more photos, writing the result, its config and extras.

For each INPUT it writes, by default into ``./histdip-output/``:

* ``<stem>_histdip.tif``: the result, float32 on the input's intensity scale (or the
  input's integer type with ``--keep-dtype``; ``-o x.png`` writes 8-bit PNG);
* ``<stem>_histdip.json``: the full config and the run record (threshold, iterations,
  stop reason, seconds, input, version): ``--config`` that file to reproduce the run;
* with ``--side-by-side``: ``<stem>_histdip_side_by_side.png``;
* with ``--snapshots K``: ``<stem>_histdip_snapshots/<stem>_histdip_iterNNNNN.tif``, the
  result every K iterations.

All files of one input appear together or not at all; existing files are refused unless
``--overwrite``, inputs are never written.
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..io import OutputBatch, display_range, read_image, write_image
from ..plotting import side_by_side
from . import options

SUFFIX = "_histdip"


def register(sub):
    p = sub.add_parser(
        "restore",
        help="restore photos (histogram threshold + Deep Image Prior)",
        description="Restore dim, noisy fluorescence photos: histogram threshold prior + Deep Image Prior. "
        "Writes <stem>_histdip.tif and <stem>_histdip.json (config + run record) per input.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="PNG, JPEG, BMP or TIFF image(s)")
    options.add_output_options(p)
    options.add_config_options(p)
    p.add_argument("--snapshots", type=options._non_negative_int, metavar="K", default=0,
                   help="also save the result every K iterations into <output stem>_snapshots/")
    p.set_defaults(func=run)
    return p


def run(args):
    config = options.config_from_args(args)
    outs = options.output_paths(args.inputs, args, SUFFIX)
    protect = [Path(p) for p in args.inputs]

    def one(index, path):
        restore_one(path, outs[index], config, args, protect)

    return options.for_each_input("restore", args.inputs, one)


def restore_one(path, out, config, args, protect):
    from ..restoration import restore_detailed

    extras = options.side_paths(out)
    planned = [out, extras["json"]] + ([extras["side_by_side"]] if args.side_by_side else [])
    options.preflight(planned, overwrite=args.overwrite, protect=protect)
    if args.snapshots:
        options.check_snapshot_folder(extras["snapshots"], overwrite=args.overwrite)
    image = read_image(path)
    with options.about(path):
        result = restore_detailed(image, config, progress=not args.quiet, snapshots=args.snapshots)
    options.make_folder(out)
    write_kw = dict(
        like_dtype=image.dtype,
        keep_dtype=args.keep_dtype,
        value_range=display_range(image) if image.dtype.kind == "f" else None,
    )
    with options.writing(out), OutputBatch(overwrite=args.overwrite, protect=protect) as batch:
        write_image(batch.stage(out), result.image, overwrite=True, **write_kw)
        extra = {"run": result.record(), "input": str(path), "output": str(out), "histdip_version": __version__}
        result.config.save(batch.stage(extras["json"]), extra=extra)
        if args.side_by_side:
            side_by_side(image, result.image, batch.stage(extras["side_by_side"]),
                         titles=(f"input: {path.name}", f"{result.config.method} ({_describe(result, short=True)})"),
                         overwrite=True)
        for iteration, snap in result.snapshots:
            name = options.snapshot_name(out.stem, iteration)
            write_image(batch.stage(extras["snapshots"] / name), snap, overwrite=True,
                        like_dtype=image.dtype, keep_dtype=args.keep_dtype)
        written = {d.name for d in batch.destinations}
    if result.snapshots and args.overwrite:
        _remove_stale_snapshots(extras["snapshots"], out.stem, written)
    options.say(args, f"{path} -> {out}  ({_describe(result)}, {result.seconds:.1f} s)")


def _describe(result, short=False):
    """One-line summary; ``short`` keeps only the kind of stop ("cap", "plateau"...) so a
    plot title fits."""
    parts = []
    if result.sample_reason:  # sample='auto' chose
        parts.append(f"sample {result.config.sample} (auto)")
    if result.threshold is not None:
        low = result.threshold_low
        parts.append(f"T={result.threshold:.4g}" + ("" if low is None or low >= result.threshold else f" (low {low:.4g})"))
    if result.iterations:
        parts.append(f"{result.iterations} iterations")
    if result.stop_reason and result.iterations:
        parts.append(result.stop_reason.split(":", 1)[0] if short else result.stop_reason)
    return ", ".join(parts)


def _remove_stale_snapshots(folder, stem, keep):
    """With --overwrite, drop snapshots of an earlier run that this run does not rewrite."""
    for old in folder.glob(f"{stem}_iter*.tif"):
        if old.name not in keep:
            old.unlink()
