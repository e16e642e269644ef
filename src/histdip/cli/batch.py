"""`histdip restore DIR_OR_GLOB --outdir OUTDIR`: a folder of photos, on Dask.

A folder, a glob pattern, ``--scheduler``, ``--workers`` or ``--series`` makes a batch.
Each input is one job, the same restoration as ``histdip restore PHOTO`` with the same
files written atomically; the jobs run on a local Dask cluster (one single-threaded
worker per core) or on the cluster at ``--scheduler``. The batch:

* skips an input whose outputs were made with the same settings (a fingerprint of the
  settings, the input's bytes, the warm start and the version, saved in the JSON under
  ``batch``), reports and leaves alone outputs made otherwise unless ``--overwrite``,
  and redoes what a killed or interrupted batch left unfinished
  (:class:`histdip.batch.Ledger`);
* records a failing input and goes on; stops cleanly on Ctrl-C, saying what finished;
* writes ``OUTDIR/histdip_summary.csv`` (or ``--summary``): file, status, T, iterations,
  seconds, layer, warm start, output, error;
* with ``--series first|PHOTO``, restores that photo first, keeps its network
  (``<its output stem>_model.pt``) and fits every other photo from it for a few steps
  (:func:`histdip.series.warm_config`); ``--same-split`` also fixes T and the
  background radius at that photo's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..batch import Ledger, expand_inputs, fingerprint, input_digest, is_pattern, open_client, write_summary
from ..batch.ledger import DONE, OTHER, UNFINISHED
from ..batch.summary import tally
from ..errors import ConfigError, HistdipError, InputError
from ..io import atomic_output, is_omezarr_path, read_run_record
from ..series import warm_config
from . import config_flags, outputs

#: The summary's name in the output folder when ``--summary`` is not given.
SUMMARY_NAME = "histdip_summary.csv"
FIRST = "first"


def add_batch_options(parser):
    """The batch's own options."""
    g = parser.add_argument_group(
        "folders and series", "an INPUT that is a folder or a glob pattern (quote it), or any option below, "
        "restores the files as a batch on Dask; a rerun skips what is done")
    g.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run on the Dask cluster at ADDRESS (tcp://host:8786) instead of a local one")
    g.add_argument("--workers", type=config_flags.positive_int, metavar="N", default=None,
                   help="workers of the local cluster, one thread each (default: one per core)")
    g.add_argument("--series", metavar="first|PHOTO", default=None,
                   help="photos of one device: restore PHOTO (or the first input) first and fit every other "
                   "photo from its network, a few steps each")
    g.add_argument("--series-steps", type=config_flags.positive_int, metavar="N", default=None,
                   help="steps of each warm-started fit (default: the stopping rule's minimum, 50)")
    g.add_argument("--same-split", action="store_true",
                   help="with --series: fix T and the background radius at the series photo's, so counts compare")
    g.add_argument("--summary", metavar="CSV", default=None,
                   help=f"where the batch's table goes (default: OUTDIR/{SUMMARY_NAME})")
    return g


def wants_batch(args):
    """Whether ``args`` ask for a batch."""
    if any(getattr(args, k, None) is not None for k in ("scheduler", "workers", "series", "summary")):
        return True
    if getattr(args, "same_split", False) or getattr(args, "series_steps", None) is not None:
        return True
    return any(is_pattern(i) or (Path(i).is_dir() and not is_omezarr_path(i)) for i in args.inputs)


def run(args):
    from .restore import SUFFIX

    _check_args(args)
    config = config_flags.config_from_args(args)
    outdir = Path(args.outdir or outputs.DEFAULT_OUTDIR)
    files = expand_inputs(args.inputs, exclude=[outdir], skip_names=[SUFFIX])
    outs = outputs.output_paths(files, argparse.Namespace(output=None, outdir=str(outdir)), SUFFIX)
    reference = _series_index(args.series, files)
    summary = Path(args.summary) if args.summary else outdir / SUMMARY_NAME
    outputs.preflight([summary], overwrite=True, protect=files)
    outputs.make_folder(outs[0])
    jobs = [_job(i, path, out, config, args) for i, (path, out) in enumerate(zip(files, outs))]
    if reference is not None:
        out = jobs[reference]["out"]
        jobs[reference]["model_out"] = out.with_name(f"{out.stem}_model.pt")
    ledger = Ledger(outdir)
    rows = [None] * len(jobs)
    bar = _bar(len(jobs), args)
    finished = False
    try:
        with open_client(scheduler=args.scheduler, workers=args.workers) as client:
            if reference is not None:
                ref = jobs[reference]
                _plan(ref, ledger, args)
                if ref["state"] != DONE:
                    _run_jobs(client, [ref], bar, rows)
                else:
                    rows[reference] = _skipped(ref)
                    bar.update(1)
                if rows[reference]["status"] in ("failed", "left alone"):
                    why = f"the series photo {ref['path']} was not restored: {rows[reference]['error']}"
                    for job in jobs:
                        if job is not ref:
                            rows[job["index"]] = _row(job, "not run", error=why)
                    finished = True
                    return _finish(rows, summary, args)
                _set_series(jobs, reference, config, args)
            todo = []
            for job in jobs:
                if rows[job["index"]] is not None:
                    continue
                _plan(job, ledger, args)
                if job["state"] == DONE:
                    rows[job["index"]] = _skipped(job)
                    bar.update(1)
                elif job["state"] == OTHER and not args.overwrite:
                    rows[job["index"]] = _row(job, "left alone", error="outputs made with other settings are there; "
                                              "pass --overwrite to replace them")
                    bar.update(1)
                else:
                    todo.append(job)
            _run_jobs(client, todo, bar, rows)
        finished = True
    except KeyboardInterrupt:
        bar.close("interrupted")
        for job in jobs:
            if rows[job["index"]] is None:
                rows[job["index"]] = _row(job, "not run", error="interrupted")
        done = sum(r["status"] in ("restored", "skipped") for r in rows)
        write_summary(summary, rows)
        print(f"histdip restore: interrupted: {done} of {len(rows)} inputs done (summary: {summary}); "
              "rerun the same command to finish the rest", file=sys.stderr)
        return 130
    finally:
        bar.close()
        if not finished:
            for job in jobs:
                if rows[job["index"]] is None:
                    rows[job["index"]] = _row(job, "not run", error="the batch stopped")
    return _finish(rows, summary, args)


def _check_args(args):
    if args.output:
        raise ConfigError("-o names one output; a batch writes into --outdir DIR")
    if isinstance(args.report, str):
        raise ConfigError(f"--report {args.report} names one page; give --report alone for one page beside "
                          "each output")
    if args.same_split and args.series is None:
        raise ConfigError("--same-split fixes the split at the series photo's: give --series first|PHOTO")
    if args.series_steps is not None and args.series is None:
        raise ConfigError("--series-steps sets the steps of a series' warm-started fits: give --series first|PHOTO")


def _series_index(series, files):
    if series is None:
        return None
    if series == FIRST:
        return 0
    wanted = Path(series)
    if not wanted.is_file():
        raise InputError(f"--series {series}: no such photo")
    for i, path in enumerate(files):
        if path.resolve() == wanted.resolve():
            return i
    raise InputError(f"--series {series}: not one of the inputs; name one of them or 'first'")


def _job(index, path, out, config, args):
    from ..io import probe_microscopy
    from .restore import stack_output, stack_record_path

    from .zarr_restore import zarr_output_paths

    record = outputs.side_paths(out)["json"]
    meta = None if is_omezarr_path(path) else probe_microscopy(path)
    kind = "photo"
    if is_omezarr_path(path):  # written tile by tile into <stem>_histdip.ome.zarr
        out, record = zarr_output_paths(path, out)
        kind = "zarr"
    elif meta is not None and meta.is_stack:  # written as restore writes a stack
        out = stack_output(path, Path(out).parent, meta)
        record = stack_record_path(out)
        kind = "stack"
    return {"index": index, "path": Path(path), "out": Path(out), "record": record, "config": config, "args": args,
            "digest": input_digest(path), "warm": None, "model_out": None, "series": None, "kind": kind}


def _plan(job, ledger, args):
    """The job's fingerprint and state; the args its worker runs with."""
    extras = outputs.side_paths(job["out"])
    files = [job["out"], job["record"], extras["side_by_side"], *extras["layers"].values()]
    if job["model_out"] is not None:
        files.append(job["model_out"])
    warm = None if job["warm"] is None else job["warm"]["fingerprint"]
    job["fingerprint"] = fingerprint(job["config"], job["digest"], warm_start=warm,
                                     extra={"series": job["series"]})
    state = ledger.state(job["out"], job["record"], files, job["fingerprint"])
    if state == DONE and job["model_out"] is not None and not job["model_out"].exists():
        state = UNFINISHED  # the series photo's network is part of its outputs
    job["state"] = state
    job_args = argparse.Namespace(**vars(args))
    job_args.quiet = True
    if job["kind"] != "photo":
        # The picture, the report page and the snapshots are a photo's extras: a stack or
        # a Zarr image in the same folder is restored without them rather than refused.
        job_args.side_by_side, job_args.report, job_args.snapshots = False, None, 0
    job_args.overwrite = args.overwrite or state == UNFINISHED
    job_args.record_extra = {"batch": {"fingerprint": job["fingerprint"], "input_sha256": job["digest"],
                                       "series": job["series"]}}
    job["args"] = job_args
    job["outdir"] = ledger.outdir


def _set_series(jobs, reference, config, args):
    """Every other job starts from the series photo's network (and, with
    ``--same-split``, its T and background radius)."""
    ref = jobs[reference]
    record = read_run_record(ref["record"])["run"]
    warm = warm_config(config, steps=args.series_steps)
    if args.same_split:
        warm = warm.replace(threshold=float(record["threshold"]), background_radius=record["background_radius"]
                            or warm.background_radius)
    series = {"photo": ref["path"].name, "fingerprint": ref["fingerprint"], "same_split": bool(args.same_split)}
    for job in jobs:
        if job is not ref:
            job["config"] = warm
            job["warm"] = {"model": str(ref["model_out"]), "fingerprint": ref["fingerprint"],
                           "source": ref["path"].name}
            job["series"] = series


def _run_jobs(client, jobs, bar, rows):
    """Run ``jobs`` on the cluster, putting each one's row into ``rows`` as it finishes
    (a job that raised, or a worker that died, gives a failed row: the batch goes on)."""
    from distributed import as_completed

    if not jobs:
        return
    futures = {client.submit(restore_job, job, key=f"histdip-{job['index']}-{job['fingerprint']}", pure=False): job
               for job in jobs}
    try:
        for future in as_completed(futures):
            job = futures[future]
            try:
                row = future.result()
            except Exception as err:  # a worker that died (KilledWorker), a cancelled job
                row = _row(job, "failed", error=f"{type(err).__name__}: {err}".splitlines()[0][:300])
            rows[job["index"]] = row
            bar.update(1, note=f"{job['path'].name} {row['status']}")
            if row["status"] == "failed":
                where = "" if row["error"].startswith(str(job["path"])) else f"{job['path']}: "
                bar.write(f"histdip restore: error: {where}{row['error']}")
    except BaseException:
        client.cancel(list(futures))
        raise


def restore_job(job):
    """One input, on a worker: the same restoration and files as ``histdip restore PHOTO``.

    Never raises for the input's own faults: a failed job is a row with its error.
    """
    import torch

    from ..fitted_model import FittedModel
    from .restore import restore_one

    torch.set_num_threads(1)
    ledger = Ledger(job["outdir"])
    args, out = job["args"], job["out"]
    start = time.perf_counter()
    try:
        if job["state"] == UNFINISHED:
            ledger.clean_partials(out)
        ledger.claim(out, job["fingerprint"])
        args.warm_start = None if job["warm"] is None else FittedModel.load(job["warm"]["model"])
        try:
            result = restore_one(job["path"], out, job["config"], args, [job["path"]])
            if job["model_out"] is not None:
                if not hasattr(result, "fit"):
                    raise ConfigError(f"{job['path']}: a stack or an OME-Zarr image cannot be the series photo; "
                                      "name a photo with --series")
                model = FittedModel.from_result(result, source=job["path"].name)
                with atomic_output(job["model_out"], overwrite=True) as tmp:
                    model.save(tmp)
        except BaseException:
            ledger.release(out)  # nothing of this job was put in place: a rerun starts afresh
            raise
        ledger.release(out)
    except HistdipError as err:
        return _row(job, "failed", error=str(err), seconds=time.perf_counter() - start)
    except Exception as err:  # a bug must not stop the batch; its type and message are kept
        return _row(job, "failed", error=f"{type(err).__name__}: {err}".splitlines()[0][:300],
                    seconds=time.perf_counter() - start)
    seconds = round(time.perf_counter() - start, 2)
    if isinstance(result, dict):  # an OME-Zarr image: the tiled run's record
        return _row(job, "restored", threshold=result.get("threshold"), iterations=result.get("iterations"),
                    seconds=seconds, layer=job["config"].primary)
    if hasattr(result, "records"):  # a stack: one record per plane, each with its own T
        steps = sum(r.get("iterations") or 0 for r in result.records)
        return _row(job, "restored", iterations=steps, seconds=seconds, layer=result.config.primary)
    record = result.record()
    return _row(job, "restored", threshold=record["threshold"], iterations=record["iterations"], seconds=seconds,
                layer=result.primary_layer)


def _skipped(job):
    try:  # the ledger has read its fingerprint: a record this batch wrote (a stack's has no "run")
        record = json.loads(Path(job["record"]).read_text())
    except (OSError, ValueError):
        record = {}
    run = record.get("run", {})
    iterations, seconds = run.get("iterations"), run.get("seconds")
    if "planes" in record:  # a stack: a record per plane, as its restored row has them
        iterations = sum(int(p.get("iterations") or 0) for p in record["planes"])
        seconds = record.get("stack", {}).get("seconds")
    return _row(job, "skipped", threshold=run.get("threshold"), iterations=iterations,
                seconds=seconds, layer=record.get("histdip_config", {}).get("primary"),
                error="done earlier with the same settings")


def _row(job, status, *, error=None, threshold=None, iterations=None, seconds=None, layer=None):
    return {"index": job["index"], "file": str(job["path"]), "status": status,
            "threshold": None if threshold is None else round(float(threshold), 4), "iterations": iterations,
            "seconds": None if seconds is None else round(float(seconds), 2), "layer": layer,
            "warm_start": None if job["warm"] is None else job["warm"]["source"],
            "output": str(job["out"]), "error": error}


def _bar(total, args):
    from ..progress import Progress, progress_mode

    # Never None (its write() carries the errors, even with --quiet); in a log, a line per photo done.
    return Progress(total, "restoring", "photo", leave=True, mode="off" if args.quiet else progress_mode())


def _finish(rows, summary, args):
    write_summary(summary, rows)
    counts = tally(rows)
    index = ""
    if args.report:  # a page per input was asked for: and one over them all
        from ..report import write_index

        index = f", index: {write_index(summary)}"
    outputs.say(args, f"{len(rows)} inputs: " + ", ".join(f"{n} {s}" for s, n in counts.items())
                + f"  (summary: {summary}{index})")
    for row in rows:
        if row["status"] == "left alone":
            print(f"histdip restore: {row['file']}: {row['error']}", file=sys.stderr)
    return 2 if counts.get("failed") or counts.get("left alone") or counts.get("not run") else 0
