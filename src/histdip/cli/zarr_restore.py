"""`histdip restore` of an OME-Zarr image: tiled, in bounded memory.

For an input that is a Zarr store (:func:`is_zarr`), :func:`restore_zarr_one` writes
beside the usual outputs:

* ``<stem>_histdip.ome.zarr``: the restoration, float32 on the input's intensity scale,
  with the input's axes, pixel size and channel names and a small pyramid;
* ``<stem>_histdip.json``: the config and the run record (the fit crop, T, iterations,
  stop reason, tiles, seconds): ``--config`` that file to rerun it.

The network is fitted once on a crop and applied tile by tile
(:func:`histdip.tiled.restore_tiled`); the image is never read whole. The OME-Zarr
image appears complete or not at all, and an existing one is refused unless
``--overwrite``.
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..io import OutputBatch
from ..io.omezarr import check_zarr_output, is_omezarr_path
from . import outputs

SUFFIX = "_histdip"

#: Tile, halo and fit-crop sides used when the command line gives none.
TILE, HALO, FIT_SIZE = 1024, 64, 1024


def is_zarr(path):
    """Whether ``path`` is a Zarr store (a ``.zarr`` name, or a folder with Zarr metadata)."""
    return is_omezarr_path(path)


def zarr_stem(path):
    """The input's name without ``.zarr`` and ``.ome``: ``cells.ome.zarr`` -> ``cells``."""
    name = Path(path).name
    for suffix in (".zarr", ".ome"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def zarr_output_paths(path, out):
    """(image, json) written for the Zarr input ``path`` whose planned output is ``out``.

    ``out`` is what :func:`histdip.cli.outputs.output_paths` planned: a ``.zarr`` path
    is used as it is; a default name (``OUTDIR/<stem>_histdip.tif``) becomes
    ``OUTDIR/<stem>_histdip.ome.zarr``.
    """
    out = Path(out)
    if out.suffix.lower() == ".zarr":
        image = out
    else:
        image = out.parent / f"{zarr_stem(path)}{SUFFIX}.ome.zarr"
    return image, image.parent / f"{zarr_stem(image)}.json"


def restore_zarr_one(path, out, config, args, protect):
    """Restore the OME-Zarr image ``path`` tile by tile (see the module docstring).

    ``args`` is the parsed command line: ``overwrite`` and ``quiet`` are read, and
    ``tile_size``, ``halo`` and ``fit_size`` where the parser has them.
    """
    from ..tiled import restore_tiled

    path = Path(path)
    image, record_path = zarr_output_paths(path, out)
    protect = [Path(p) for p in protect]
    if image.parent.is_dir():  # else it is created below, and holds nothing to clobber
        check_zarr_output(image, overwrite=args.overwrite, protect=protect)
    outputs.preflight([record_path], overwrite=args.overwrite, protect=protect)
    outputs.make_folder(image)
    options = dict(tile=getattr(args, "tile_size", None) or TILE, halo=getattr(args, "halo", None) or HALO,
                   fit_size=getattr(args, "fit_size", None) or FIT_SIZE)
    with outputs.about(path), outputs.writing(image):
        record = restore_tiled(path, image, config, progress=not args.quiet, overwrite=args.overwrite,
                               protect=protect, **options)
    with outputs.writing(record_path), OutputBatch(overwrite=args.overwrite, protect=protect) as batch:
        extra = {"run": record, "input": str(path), "output": str(image), "histdip_version": __version__,
                 **(getattr(args, "record_extra", None) or {})}
        config.save(batch.stage(record_path), extra=extra)
    outputs.say(args, f"{path} -> {image}  (T = {record['threshold']:.4g}, {record['iterations']} steps, "
                      f"{record['stop_reason']}; {record['tiles']} tiles, {record['seconds']:.1f} s)")
    return record
