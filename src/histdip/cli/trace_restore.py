"""``histdip restore`` of a 1-D sensor trace (a ``.csv`` or ``.npy`` file).

For each trace input it writes, into the output folder (default ``./histdip-output/``):

* ``<stem>_histdip.csv`` (or ``.npy``): the restored trace in the input's layout
  (header, delimiter and time column kept, every data column restored);
* ``<stem>_histdip.png``: before and after, the whole trace and its largest event;
* ``<stem>_histdip.json``: the config and one run record per column (polarity, noise,
  split, steps, why the fit stopped): ``--config`` that file to rerun it.

All three appear together or not at all; existing files are refused unless
``--overwrite``. docs/traces.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import ConfigError
from ..io import OutputBatch
from . import outputs

SUFFIX = "_histdip"


def is_trace(path):
    """Whether ``path`` names a trace file (``.csv`` or ``.npy``)."""
    from ..trace import is_trace_path

    return is_trace_path(path)


def trace_outputs(path, out):
    """(data, plot, json) written for the trace ``path`` whose planned output is ``out``
    (:func:`histdip.cli.outputs.output_paths`: ``OUTDIR/<stem>_histdip.tif``, or a
    ``-o`` path with the input's extension)."""
    path, out = Path(path), Path(out)
    ext = path.suffix.lower()
    data = out if out.suffix.lower() == ext else out.parent / f"{path.stem}{SUFFIX}{ext}"
    return data, data.with_suffix(".png"), data.with_suffix(".json")


def restore_trace_one(path, out, config, args, protect):
    """Restore the trace file ``path`` column by column (see the module docstring)."""
    from ..trace import read_trace, restore_trace, write_trace
    from ..trace.plot import trace_figure

    path = Path(path)
    for flag, given in (("--report", getattr(args, "report", None) is not None),
                        ("--snapshots", bool(getattr(args, "snapshots", 0))),
                        ("--keep-dtype", bool(getattr(args, "keep_dtype", False)))):
        if given:
            raise ConfigError(f"{path}: {flag} is not available for a trace; restore without it")
    if getattr(args, "output", None) and Path(args.output).suffix.lower() != path.suffix.lower():
        raise ConfigError(f"{args.output}: a trace is written in its own format; give -o with "
                          f"{path.suffix.lower()} or use --outdir")
    data_path, plot_path, json_path = trace_outputs(path, out)
    outputs.preflight([data_path, plot_path, json_path], overwrite=args.overwrite, protect=protect)
    trace = read_trace(path)
    results = []
    with outputs.about(path):
        for c in range(trace.values.shape[1]):
            results.append(restore_trace(trace.values[:, c], config, progress=not args.quiet))
    restored = trace.with_values(np.column_stack([r.restored for r in results]))
    outputs.make_folder(data_path)
    with outputs.writing(data_path), OutputBatch(overwrite=args.overwrite, protect=protect) as batch:
        write_trace(batch.stage(data_path), trace, restored.values)
        trace_figure(trace.values, results, batch.stage(plot_path), names=trace.names, time=trace.time,
                     title=f"{path.name}: raw (grey), restored (red), baseline (blue)")
        record = {"columns": {name: r.record() for name, r in zip(trace.names, results)},
                  "samples": int(trace.values.shape[0]), "time_column": trace.time_name,
                  "seconds": round(sum(r.seconds for r in results), 3)}
        extra = {"trace": record, "input": str(path), "output": str(data_path), "histdip_version": __version__,
                 **(getattr(args, "record_extra", None) or {})}
        config.save(batch.stage(json_path), extra=extra)
    summary = "; ".join(f"{name}: {r.summary()}" for name, r in zip(trace.names, results))
    outputs.say(args, f"{path} -> {data_path}  ({summary}, {record['seconds']:.1f} s)")
    return results
