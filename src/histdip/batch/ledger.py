"""Which inputs of a batch are done, from a fingerprint of what made each output.

A job's outputs are done when its run record (``<stem>_histdip.json``) carries the
fingerprint of the settings and input the batch would use now: the settings, the
input's bytes, the warm start and the histdip version. While a job runs, a claim file
in ``OUTDIR/.histdip-batch/`` holds its fingerprint; it is removed once every output is
in place. A claim found on a rerun is a job an earlier batch did not finish (killed,
interrupted): its outputs, if any, are that batch's own, so they are redone, and its
temporary files are removed. Outputs with neither a matching fingerprint nor a claim
were made otherwise (other settings, another input, by hand) and are left alone unless
``overwrite``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from pathlib import Path

from .. import __version__

#: Sub-folder of the output folder holding the claims of running jobs.
CLAIMS = ".histdip-batch"

DONE, OTHER, UNFINISHED, TODO = "done", "other settings", "unfinished", "to do"


def input_digest(path, *, chunk=1 << 20):
    """SHA-256 (hex) of a file's bytes; of a folder (an OME-Zarr store, larger than
    memory and often than a rerun's patience), of each file's relative path, size and
    modification time."""
    digest = hashlib.sha256()
    path = Path(path)
    if path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            stat = item.stat()
            digest.update(f"{item.relative_to(path).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(config, digest, *, warm_start=None, extra=None):
    """A short hex digest of what decides an output: the settings (``config.to_dict()``),
    the input's digest, the warm start (its fingerprint, or None) and the version."""
    what = {"config": config.to_dict(), "input": digest, "warm_start": warm_start, "extra": extra,
            "histdip": __version__}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:20]


class Ledger:
    """The state of each job in one output folder.

    Parameters
    ----------
    outdir : path-like
        The batch's output folder.
    """

    def __init__(self, outdir):
        self.outdir = Path(outdir)
        self.claims = self.outdir / CLAIMS

    def claim_path(self, output):
        return self.claims / f"{Path(output).name}.claim"

    def state(self, output, record_path, files, print_):
        """``DONE``, ``OTHER``, ``UNFINISHED`` or ``TODO`` for the output ``output``.

        Parameters
        ----------
        output : path-like
            The job's main output.
        record_path : path-like
            Its JSON run record.
        files : iterable of path-like
            Every file the job writes (to tell "made otherwise" from "nothing there").
        print_ : str
            The fingerprint the batch would give the job now.
        """
        if self.claim_path(output).exists():
            return UNFINISHED
        recorded = recorded_fingerprint(record_path)
        present = [Path(f) for f in files if Path(f).exists()]
        if recorded == print_ and Path(output).exists():
            return DONE
        return OTHER if present else TODO

    def claim(self, output, print_):
        """Mark the job as running (before any of its output is written)."""
        self.claims.mkdir(parents=True, exist_ok=True)
        path = self.claim_path(output)
        tmp = path.with_suffix(".claim.tmp")
        tmp.write_text(print_, encoding="utf-8")
        tmp.replace(path)

    def release(self, output):
        """Mark the job as finished (every output in place)."""
        with contextlib.suppress(FileNotFoundError):
            self.claim_path(output).unlink()
        with contextlib.suppress(OSError):
            self.claims.rmdir()  # only once empty

    def clean_partials(self, output):
        """Remove temporary files an interrupted job left beside ``output``."""
        out = Path(output)
        for tmp in out.parent.glob(f".{out.stem}*.partial*"):
            with contextlib.suppress(OSError):
                if tmp.is_dir():  # an OME-Zarr output is built as a folder
                    shutil.rmtree(tmp)
                else:
                    tmp.unlink()


def recorded_fingerprint(record_path):
    """The batch fingerprint saved in a run record, or None (no file, not a batch's, bad)."""
    try:
        data = json.loads(Path(record_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    batch = data.get("batch") if isinstance(data, dict) else None
    return batch.get("fingerprint") if isinstance(batch, dict) else None
