"""What the image-writing sub-commands share: output paths, refusals made before any
work, the loop over inputs, and one-line errors.

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
from pathlib import Path

from ..errors import ConfigError, HistdipError, OutputError
from ..io import WRITE_EXTENSIONS, check_output_path
from ..layers import LAYER_NAMES

#: Folder written to when neither ``-o`` nor ``--outdir`` is given (relative to the cwd).
DEFAULT_OUTDIR = "histdip-output"


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


def output_paths(inputs, args, suffix, *, extensions=None):
    """Destination image of each input: ``-o FILE`` or ``OUTDIR/<stem><suffix>.tif``.

    Checks that ``-o`` goes with a single input and has a writable extension (one of
    ``extensions(input)``; default: an image's), and that no two inputs share a
    destination. The folder is created (only when every check passes).

    Returns
    -------
    list of pathlib.Path, one per input
    """
    inputs = [Path(p) for p in inputs]
    if args.output:
        if len(inputs) != 1:
            raise ConfigError(f"-o names one output but {len(inputs)} inputs were given; use --outdir")
        out = Path(args.output)
        allowed = extensions(inputs[0]) if extensions else WRITE_EXTENSIONS
        if out.suffix.lower() not in allowed:
            names = ", ".join(allowed[:-1]) + f" or {allowed[-1]}" if len(allowed) > 1 else allowed[0]
            raise ConfigError(f"{out}: output must end in {names} (got {out.suffix or 'no extension'})")
        outs = [out]
    else:
        outdir = Path(args.outdir or DEFAULT_OUTDIR)
        if outdir.exists() and not outdir.is_dir():
            raise OutputError(f"{outdir}: exists and is not a folder")
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


def restore_extensions(path):
    """The extensions ``histdip restore -o`` takes for the input ``path``: an OME-Zarr
    image's ``.zarr`` (a folder), a trace's ``.csv`` or ``.npy``, else an image's."""
    from .trace_restore import is_trace
    from .zarr_restore import is_zarr

    if is_zarr(path):
        return (".zarr",)
    if is_trace(path):
        return (".csv", ".npy")
    return WRITE_EXTENSIONS


def make_folder(path):
    """Create the folder an output goes to; a one-line error when that is impossible."""
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{folder}: cannot create output folder ({err.strerror or err})") from None


def side_paths(out):
    """Files written beside output image ``out``: config+record JSON, side-by-side PNG,
    snapshots folder, and the layers of a learned split (``<stem>_signal.tif`` ...)."""
    out = Path(out)
    return {
        "json": out.with_suffix(".json"),
        "side_by_side": out.with_name(f"{out.stem}_side_by_side.png"),
        "snapshots": out.with_name(f"{out.stem}_snapshots"),
        "layers": {name: out.with_name(f"{out.stem}_{name}{out.suffix}") for name in LAYER_NAMES},
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
        raise OutputError(f"{folder}: exists and is not a folder (snapshots go there)")
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise OutputError(f"{folder}: already exists; refusing to overwrite it (pass --overwrite to replace it)")


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
    into a one-line :class:`OutputError` naming the output."""
    try:
        yield
    except OSError as err:
        raise OutputError(f"{path}: cannot write output ({err.strerror or err})") from None


def say(args, message):
    """Print a summary line unless --quiet."""
    if not getattr(args, "quiet", False):
        print(message, flush=True)
