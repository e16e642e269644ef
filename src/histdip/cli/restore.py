"""`histdip restore`: restore one or more photos, writing the result, its config and extras.

For each INPUT it writes, by default into ``./histdip-output/``:

* ``<stem>_histdip.tif``: the result, float32 on the input's intensity scale (or the
  input's integer type with ``--keep-dtype``; ``-o x.png`` writes 8-bit PNG);
* ``<stem>_histdip.json``: the full config and the run record (threshold, iterations,
  stop reason, seconds, input, version): ``--config`` that file to reproduce the run;
* with ``--side-by-side``: ``<stem>_histdip_side_by_side.png``;
* with ``--threshold learned``: ``<stem>_histdip_signal.tif``, ``_recording.tif`` and
  ``_background.tif``, the three layers (the output is the primary one of them);
* with ``--snapshots K``: ``<stem>_histdip_snapshots/<stem>_histdip_iterNNNNN.tif``, the
  result every K iterations;
* with ``--report``: ``<stem>_histdip_report.html``, the interactive report
  (:mod:`histdip.cli.report`), its iteration slider's snapshots taken by themselves.

A stack (an OME-TIFF or ImageJ TIFF with a T, Z or C axis) is restored plane by plane
(:func:`histdip.stack.restore_stack`) into ``<stem>_histdip.ome.tif`` (``.tif`` for
ImageJ and other TIFFs) with the input's axes and metadata, its layers the same way, and
``<stem>_histdip.json``: the config and one run record per plane (docs/microscopy.md).

An OME-Zarr image (a ``.zarr`` folder) is restored tile by tile into
``<stem>_histdip.ome.zarr`` (:mod:`histdip.cli.zarr_restore`, docs/omezarr.md).

A folder or a glob pattern among the INPUTs (or ``--scheduler``, ``--workers``,
``--series``) makes a batch on Dask that skips what is done and survives being killed:
:mod:`histdip.cli.batch` (docs/batch.md).

All files of one input appear together or not at all; existing files are refused unless
``--overwrite``, inputs are never written.
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..errors import ConfigError
from ..io import (OutputBatch, display_range, probe_microscopy, read_image, read_microscopy, write_image,
                  write_microscopy)
from ..io.read import check_declared_size, decoder_messages
from ..plotting import side_by_side
from ..validate import require_signal
from . import config_flags, outputs
from .batch import add_batch_options, wants_batch
from .batch import run as run_batch
from .report import check_report_path, default_report_path, report_html, report_snapshots

SUFFIX = "_histdip"


def register(sub):
    p = sub.add_parser(
        "restore",
        help="restore photos (histogram threshold + Deep Image Prior)",
        description="Restore dim, noisy fluorescence photos: histogram threshold prior + Deep Image Prior. "
        "Writes <stem>_histdip.tif and <stem>_histdip.json (config + run record) per input.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="PNG, JPEG, BMP or TIFF image(s), an OME-TIFF/ImageJ stack, an OME-Zarr "
                   "image, a CSV/NPY sensor trace, or a folder or glob of them")
    outputs.add_output_options(p)
    config_flags.add_prior_options(p)
    config_flags.add_fit_options(p)
    p.add_argument("--snapshots", type=config_flags.non_negative_int, metavar="K", default=0,
                   help="also save the result every K iterations into <output stem>_snapshots/")
    p.add_argument("--report", nargs="?", const=True, default=None, metavar="HTML",
                   help="also write the interactive report, <output stem>_report.html (or HTML): before/after, "
                   "the fit's slider, the split, the counts, the figures; opens offline")
    add_batch_options(p)
    p.set_defaults(func=run)
    return p


def run(args):
    if wants_batch(args):
        return run_batch(args)
    if isinstance(args.report, str):
        check_report_path(args.report)
        if len(args.inputs) != 1:
            raise ConfigError(f"--report {args.report} names one page but {len(args.inputs)} inputs were given; "
                              "give --report alone for one page beside each output")
    config = config_flags.config_from_args(args)
    outs = outputs.output_paths(args.inputs, args, SUFFIX, extensions=outputs.restore_extensions)
    protect = [Path(p) for p in args.inputs]

    def one(index, path):
        restore_one(path, outs[index], config, args, protect)

    return outputs.for_each_input("restore", args.inputs, one)


def restore_one(path, out, config, args, protect):
    from ..pipeline import learns_split, restore_detailed
    from .trace_restore import is_trace, restore_trace_one
    from .zarr_restore import is_zarr, restore_zarr_one

    if is_zarr(path):  # larger than memory: tile by tile (docs/omezarr.md)
        return restore_zarr_one(path, out, config, args, protect)
    if is_trace(path):  # a 1-D sensor trace (docs/traces.md)
        return restore_trace_one(path, out, config, args, protect)

    meta = None
    if Path(path).is_file():  # a named pipe would block the probe's read; read_image says what it is
        with decoder_messages():  # a broken TIFF is reported by read_image, in one line
            meta = probe_microscopy(path)
    if meta is not None and meta.is_stack:
        return restore_stack_file(path, out, meta, config, args, protect)
    extras = outputs.side_paths(out)
    layer_paths = extras["layers"] if learns_split(config) else {}
    report = None if args.report is None else (
        Path(args.report) if isinstance(args.report, str) else default_report_path(out))
    planned = [out, extras["json"], *layer_paths.values()] + ([extras["side_by_side"]] if args.side_by_side else [])
    outputs.preflight(planned + ([report] if report else []), overwrite=args.overwrite, protect=protect)
    if args.snapshots:
        outputs.check_snapshot_folder(extras["snapshots"], overwrite=args.overwrite)
    image = read_image(path)
    with outputs.about(path):
        require_signal(image)  # before a fit is spent on a blank or overexposed frame
    # For the report alone, its own bounded snapshots (none written as files).
    snapshots = args.snapshots or (report_snapshots(config) if report else 0)
    with outputs.about(path):
        result = restore_detailed(image, config, progress=not args.quiet, snapshots=snapshots,
                                  warm_start=getattr(args, "warm_start", None))
        page = report_html(result, image, path) if report else None
    outputs.make_folder(out)
    write_kw = dict(
        like_dtype=image.dtype,
        keep_dtype=args.keep_dtype,
        value_range=display_range(image) if image.dtype.kind == "f" else None,
    )
    keeps_meta = meta is not None and meta.kind in ("ome", "imagej")

    def write_plane(dest, array):
        # A single-plane OME-TIFF or ImageJ TIFF keeps its pixel size in a TIFF output.
        if keeps_meta and Path(dest).suffix.lower() in (".tif", ".tiff"):
            axes = "YX" if array.ndim == 2 else "YXS"
            write_microscopy(dest, array, meta.replace(axes=axes, shape=array.shape), like_dtype=image.dtype,
                             keep_dtype=args.keep_dtype, overwrite=True)
        else:
            write_image(dest, array, overwrite=True, **write_kw)

    with outputs.writing(out), OutputBatch(overwrite=args.overwrite, protect=protect) as batch:
        write_plane(batch.stage(out), result.image)
        for name, layer_path in layer_paths.items():
            write_plane(batch.stage(layer_path), result.layers[name])
        extra = {"run": result.record(), "input": str(path), "output": str(out), "histdip_version": __version__,
                 **(getattr(args, "record_extra", None) or {})}
        result.config.save(batch.stage(extras["json"]), extra=extra)
        if args.side_by_side:
            side_by_side(image, result.image, batch.stage(extras["side_by_side"]),
                         titles=(f"input: {path.name}", f"{result.config.method} ({result.summary(short=True)})"),
                         overwrite=True)
        if page is not None:
            batch.stage(report).write_text(page, encoding="utf-8")
        for iteration, snap in (result.snapshots if args.snapshots else ()):
            name = outputs.snapshot_name(out.stem, iteration)
            write_image(batch.stage(extras["snapshots"] / name), snap, overwrite=True,
                        like_dtype=image.dtype, keep_dtype=args.keep_dtype)
        written = {d.name for d in batch.destinations}
    if args.snapshots and result.snapshots and args.overwrite:
        _remove_stale_snapshots(extras["snapshots"], out.stem, written)
    if args.overwrite and not layer_paths:
        # Layers of an earlier run with a learned split would sit beside an output they
        # are not the layers of.
        for stale in extras["layers"].values():
            stale.unlink(missing_ok=True)
    outputs.say(args, f"{path} -> {out}  ({result.summary()}, {result.seconds:.1f} s)")
    return result


def stack_output(path, folder, meta):
    """Where the restored stack of ``path`` goes in ``folder``: ``<stem>_histdip.ome.tif``
    for an OME-TIFF, ``<stem>_histdip.tif`` for any other."""
    return Path(folder) / f"{_tiff_base(path)}{SUFFIX}{'.ome.tif' if meta.kind == 'ome' else '.tif'}"


def stack_record_path(out):
    """The JSON beside a restored stack ``out`` (``x_histdip.ome.tif`` -> ``x_histdip.json``)."""
    return Path(out).with_name(f"{_tiff_base(out)}.json")


def restore_stack_file(path, out, meta, config, args, protect):
    """``histdip restore`` of a stack: the restored stack with the input's axes and
    metadata, its layers with a learned split, and the JSON with one record per plane."""
    from ..layers import LAYER_NAMES
    from ..pipeline import learns_split
    from ..stack import restore_stack

    for flag, given in (("--side-by-side", args.side_by_side), ("--report", args.report is not None),
                        ("--snapshots", bool(args.snapshots))):
        if given:
            raise ConfigError(f"{path}: {flag} is not available for a stack ({meta.axes}); restore without it")
    if args.output is None:
        out = stack_output(path, out.parent, meta)
    elif out.suffix.lower() not in (".tif", ".tiff"):
        raise ConfigError(f"{out}: a stack is written as TIFF; give -o with .tif (or .ome.tif)")
    base, ext = _tiff_base(out), out.name[len(_tiff_base(out)):]
    json_path = stack_record_path(out)
    layer_paths = {name: out.with_name(f"{base}_{name}{ext}") for name in LAYER_NAMES}
    wanted = layer_paths if learns_split(config) else {}
    outputs.preflight([out, json_path, *wanted.values()], overwrite=args.overwrite, protect=protect)
    check_declared_size(path, [n for n, axis in zip(meta.shape, meta.axes) if axis != "S"])
    with decoder_messages():
        array, meta = read_microscopy(path)
    with outputs.about(path):
        result = restore_stack(array, meta.axes, config, progress=not args.quiet, spacing=meta.spacing)
    out_meta = meta.replace(axes=result.axes, shape=result.image.shape)
    write_kw = dict(like_dtype=array.dtype, keep_dtype=args.keep_dtype, overwrite=True)
    outputs.make_folder(out)
    with outputs.writing(out), OutputBatch(overwrite=args.overwrite, protect=protect) as batch:
        write_microscopy(batch.stage(out), result.image, out_meta, **write_kw)
        for name, layer in (result.layers or {}).items():
            write_microscopy(batch.stage(layer_paths[name]), layer, out_meta, **write_kw)
        stack = {"axes": result.axes, "shape": list(result.image.shape), "kind": meta.kind,
                 "pixel_size_um": meta.pixel_size, "channel_names": meta.channel_names,
                 "frame_interval_s": meta.frame_interval, "summary": result.summary(),
                 "seconds": round(result.seconds, 3), "layers": sorted(result.layers or {})}
        extra = {"stack": stack, "planes": list(result.records), "input": str(path), "output": str(out),
                 "histdip_version": __version__, **(getattr(args, "record_extra", None) or {})}
        result.config.save(batch.stage(json_path), extra=extra)
    if args.overwrite and result.layers is None:
        for stale in layer_paths.values():  # layers of an earlier run beside an output they are not of
            stale.unlink(missing_ok=True)
    outputs.say(args, f"{path} -> {out}  ({result.summary()}, {result.seconds:.1f} s)")
    return result


def _tiff_base(path):
    """A TIFF's name without ``.tif``, ``.tiff`` or ``.ome.tif(f)``."""
    name = Path(path).name
    for ext in (".ome.tiff", ".ome.tif", ".tiff", ".tif"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return Path(path).stem


def _remove_stale_snapshots(folder, stem, keep):
    """With --overwrite, drop snapshots of an earlier run that this run does not rewrite."""
    for old in folder.glob(f"{stem}_iter*.tif"):
        if old.name not in keep:
            old.unlink()
