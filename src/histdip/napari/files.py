"""histdip's files in napari: a run's ``*_histdip.json`` read as layers, and a layer
that carries a run record written as a histdip output.

The reader opens the output TIFF a run record names (:func:`histdip.io.named_file`:
as written, or beside the record when the run's folder moved), the layers of a learned
split beside it and the snapshots folder, each with the record as metadata. The writer
is its inverse: a layer whose metadata holds a record (one restored in the viewer, or
read by the reader) is written as ``<stem>_histdip.tif`` and ``<stem>_histdip.json``,
which ``histdip count``, ``histdip report`` and this reader read back.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import __version__
from ..cli.outputs import side_paths
from ..cli.restore import SUFFIX
from ..errors import InputError
from ..io import OutputBatch, named_file, read_image, read_run_record, write_image

__all__ = ["get_reader", "read_histdip", "write_histdip"]


def get_reader(path):
    """The reader of ``path`` when it is a run record (``*_histdip.json``), else None."""
    if isinstance(path, (list, tuple)):
        path = path[0] if len(path) == 1 else None
    if path is None or not str(path).endswith(f"{SUFFIX}.json"):
        return None
    return read_histdip


def read_histdip(path):
    """The layers of the run whose record is ``path``, as layer data tuples.

    The output image (named by the record's ``output``), then the signal, recording and
    background layers and the snapshots stack where they lie beside it. Each layer's
    metadata holds the record under ``histdip`` and its own name under ``histdip_layer``.

    Raises
    ------
    histdip.InputError
        Not a run record, or none of the images it names is there, in one line.
    """
    if isinstance(path, (list, tuple)):
        return [layer for p in path for layer in read_histdip(p)]
    path = Path(path)
    record = read_run_record(path)
    named = str(record.get("output") or "")
    out = named_file(named, path) if named else None
    if out is None:
        # The record's own name says where its output lies: <stem>_histdip.json beside <stem>_histdip.tif.
        out = path.with_suffix(Path(named).suffix or ".tif")
    primary = (record.get("run") or {}).get("primary")
    files = [("output", out)] + [(name, p) for name, p in side_paths(out)["layers"].items() if name != primary]
    layers = [_layer(read_image(p), p.stem, record, name) for name, p in files if p.is_file()]
    if not layers:
        raise InputError(f"{path}: names the output {named or out.name}, but neither it nor its layers are there "
                         f"(looked beside the record too)")
    snapshots = sorted(side_paths(out)["snapshots"].glob(f"{out.stem}_iter*.tif"))
    if snapshots:
        stack = np.stack([read_image(p).astype(np.float32) for p in snapshots])
        data, meta, kind = _layer(stack, f"{out.stem} fit", record, "fit", visible=False)
        meta["metadata"]["histdip_steps"] = [int(p.stem.rsplit("_iter", 1)[1]) for p in snapshots]
        layers.append((data, meta, kind))
    return layers


def _layer(data, name, record, layer, **kw):
    colour_ndim = 4 if layer == "fit" else 3  # the snapshots stack has the step in front
    rgb = data.ndim == colour_ndim and data.shape[-1] in (3, 4)
    look = {"rgb": True} if rgb else {"colormap": "gray"}
    return data, {"name": name, "metadata": {"histdip": record, "histdip_layer": layer}, **look, **kw}, "image"


def write_histdip(path, data, meta):
    """Write an image layer that carries a histdip run record as a histdip output.

    Parameters
    ----------
    path : str
        Where napari was asked to save (``.tif`` or ``.tiff``). A name whose stem does
        not end in ``_histdip`` gets it, so that the reader finds the pair again.
    data : ndarray
        The layer's data, (H, W) or (H, W, 3).
    meta : dict
        The layer's attributes; ``meta['metadata']['histdip']`` is the record.

    Returns
    -------
    list of str
        The TIFF and the JSON written.

    Raises
    ------
    histdip.InputError
        A layer without a record (save it with napari's own TIFF writer), or data that
        is not one image, in one line.
    """
    record = (meta.get("metadata") or {}).get("histdip")
    if not isinstance(record, dict) or "histdip_config" not in record:
        raise InputError(f"layer {meta.get('name', '')!r} carries no histdip run record; save it with napari's "
                         "own TIFF writer (only histdip's results are written as histdip outputs)")
    out = Path(path)
    if not out.stem.endswith(SUFFIX):
        out = out.with_name(f"{out.stem}{SUFFIX}{out.suffix or '.tif'}")
    record = {**record, "output": str(out), "histdip_version": __version__}
    json_path = side_paths(out)["json"]
    # napari's save dialog has asked about replacing the file already.
    with OutputBatch(overwrite=True) as batch:
        write_image(batch.stage(out), np.asarray(data), overwrite=True)
        batch.stage(json_path).write_text(json.dumps(record, indent=2) + "\n")
    return [str(out), str(json_path)]
