"""The ``speed`` command: wall-clock of the fast preset against its peers, in one process.

Times, on the same machine and in the same run (so ratios are meaningful even when
the absolute numbers are noisy):

* the ``fast`` preset on a 1200 x 900 photo (fit + tiled prediction);
* the ``paper`` preset per optimiser step on the same photo (a few steps, extrapolated to
  its 2000 iterations and labelled as such);
* BM3D (``bm3d`` package, sigma estimated) and the classical pipeline
  (:func:`benchmarks.peers.classical.denoise_classical_pipeline`);
* the ``histdip restore`` command in a new process (start-up, read, fit, write);
* the fast preset on a 12 MP (4000 x 3000) image, in a child process so that its peak
  resident memory is its own.

Each is repeated ``repeats`` times; medians and ratios to the fast preset are printed
and written as Markdown, with a description of the machine. No test reads the timings:
they are this machine's, at this load.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import resource
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from histdip import restore_detailed

from .datasets import data_root
from .doc import add_doc_arguments
from .peers.bm3d import bm3d_available, denoise_bm3d
from .peers.classical import denoise_classical_pipeline


def machine_description():
    """CPU model, cores, torch threads, versions and load, as one dict."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "load_average_1min": round(load, 2),
    }


def _timed(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _command_seconds(path, threads, repeats, threshold=None, iterations=None):
    """Wall-clock of ``histdip restore PATH`` in a fresh interpreter, ``repeats`` times."""
    import subprocess
    import sys
    import tempfile

    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, "-m", "histdip", "restore", str(path), "--outdir", out, "--quiet"]
            if threshold is not None:
                cmd += ["--threshold", str(threshold)]
            if iterations is not None:
                cmd += ["--iterations", str(iterations)]
            start = time.perf_counter()
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no message"])[-1]
                raise RuntimeError(f"histdip restore failed on {path}: {last}")
    return times


def _load_photo(path):
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def _large_case(image, shape, queue):
    """Child process: fast preset on a large image; report seconds and peak RSS."""
    import histdip

    start = time.perf_counter()
    out = histdip.restore(image)
    seconds = time.perf_counter() - start
    peak_kib = _peak_rss_kib()
    queue.put({"seconds": seconds, "peak_rss_gib": peak_kib / 2**20, "shape": list(out.shape[:2])})


def _peak_rss_kib():
    """This process's own peak resident memory (KiB).

    ``ru_maxrss`` is no good in a spawned child: Linux carries the parent's high-water
    mark across fork + exec, so the child would report the parent's peak (8.3 GiB after
    the paper preset's steps). ``VmHWM`` belongs to the new address space.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _upscale(image, shape):
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((shape[1], shape[0]), Image.BICUBIC))


def run_speed_benchmark(images, repeats=3, out_markdown=None, *, paper_steps=3, large=True,
                        large_shape=(4000, 3000), threshold=None, iterations=None, progress=print):
    """Time the fast preset and its peers on ``images`` (paths or arrays) in one process.

    Parameters
    ----------
    images : list of str, Path or ndarray
        Photos (1200 x 900 RGB in the paper); the first one is also used for the paper
        preset's per-step time and, upscaled, for the 12 MP case.
    repeats : int
        Repetitions of each timing per image (medians are reported).
    out_markdown : path, optional
        Where to write the Markdown table.
    paper_steps : int
        Optimiser steps of the paper preset actually timed (then extrapolated to 2000).
    large : bool
        Also time the 12 MP case (in a child process, for its own peak memory).
    threshold : float or str, optional
        Threshold for histdip (default: the preset's rule).
    iterations : int, optional
        Cap on the fast preset's steps (a smoke test's; default: the preset's own).

    Returns
    -------
    dict with ``machine``, ``rows`` (name -> list of seconds) and ``large``.
    """
    arrays = [_load_photo(p) if not isinstance(p, np.ndarray) else p for p in images]
    if not arrays:
        raise ValueError("no images to time")
    machine = machine_description()
    rows = {}
    notes = {}
    kw = {} if threshold is None else {"threshold": threshold}
    fast_kw = dict(kw, **({} if iterations is None else {"iterations": iterations}))

    def add(name, seconds, note=""):
        rows.setdefault(name, []).extend(seconds)
        if note:
            notes[name] = note
        if progress:
            progress(f"{name}: median {statistics.median(rows[name]):.2f} s")

    iters = []
    for img in arrays:
        green = img[..., 1] / 255.0 if img.ndim == 3 else img / 255.0
        add("histdip fast preset (fit + predict)",
            _timed(lambda: iters.append(restore_detailed(img, **fast_kw).iterations), repeats))
        ok, why = bm3d_available()
        if ok:
            add("BM3D (bm3d package, sigma estimated)", _timed(lambda: denoise_bm3d(green), repeats))
        else:  # say so in the table
            notes["BM3D (bm3d package, sigma estimated)"] = f"not run: {why}"
        add("classical pipeline (denoise + rolling ball + Otsu)",
            _timed(lambda: denoise_classical_pipeline(green), repeats))
    notes["histdip fast preset (fit + predict)"] = f"iterations used: {sorted(set(iters))}"
    if not isinstance(images[0], np.ndarray):
        name = "histdip restore command (new process: start-up, read, fit, write)"
        add(name, _command_seconds(images[0], torch.get_num_threads(), repeats, threshold, iterations))
        notes[name] = f"first photo only; OMP_NUM_THREADS={torch.get_num_threads()}"

    # Paper preset: a few steps on the first photo, extrapolated to its 2000 iterations.
    img = arrays[0]
    per_step = []
    for _ in range(repeats):
        r = restore_detailed(img, preset="paper", iterations=paper_steps, **kw)
        per_step.append(r.seconds / paper_steps)
    rows["paper preset, 2000 iterations (EXTRAPOLATED)"] = [s * 2000 for s in per_step]
    notes["paper preset, 2000 iterations (EXTRAPOLATED)"] = (
        f"timed {paper_steps} steps x {repeats}, median {statistics.median(per_step):.2f} s/step, x 2000")
    if progress:
        progress(f"paper preset: {statistics.median(per_step):.2f} s/step (extrapolated to 2000)")

    large_result = None
    if large:
        big = _upscale(img, large_shape)
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_large_case, args=(big, large_shape, queue))
        proc.start()
        large_result = queue.get()
        proc.join()
        rows[f"histdip fast preset, {large_shape[0]}x{large_shape[1]} (12 MP)"] = [large_result["seconds"]]
        notes[f"histdip fast preset, {large_shape[0]}x{large_shape[1]} (12 MP)"] = (
            f"peak RSS {large_result['peak_rss_gib']:.2f} GiB (child process)")
        if progress:
            progress(f"12 MP: {large_result['seconds']:.1f} s, peak RSS {large_result['peak_rss_gib']:.2f} GiB")

    result = {"machine": machine, "rows": rows, "notes": notes, "large": large_result}
    text = format_markdown(result)
    if progress:
        progress(text)
    if out_markdown:
        Path(out_markdown).write_text(text)
    return result


def format_markdown(result):
    """The benchmark as a Markdown table: medians and ratios to the fast preset."""
    rows, notes, m = result["rows"], result["notes"], result["machine"]
    ref_name = "histdip fast preset (fit + predict)"
    ref = statistics.median(rows[ref_name]) if rows.get(ref_name) else float("nan")
    lines = [
        f"Machine: {m['cpu']}; {m['usable_cores']} usable of {m['cores']} cores; torch {m['torch']} "
        f"with {m['torch_threads']} threads; Python {m['python']}; 1-min load average at the end "
        f"{m['load_average_1min']}.",
        "",
        "| method | median s | runs | x fast preset | note |",
        "|---|---|---|---|---|",
    ]
    for name, secs in rows.items():
        med = statistics.median(secs)
        lines.append(f"| {name} | {med:.2f} | {len(secs)} | {med / ref:.2f} | {notes.get(name, '')} |")
    for name, note in notes.items():
        if name not in rows:
            lines.append(f"| {name} | - | 0 | - | {note} |")
    return "\n".join(lines) + "\n"


def _run(args):
    images = args.images or [data_root(args.data) / "smartphone-beads" / "a.png"]
    result = run_speed_benchmark(images, args.repeats, args.out_markdown, paper_steps=args.paper_steps,
                                 large=args.large, threshold=args.threshold, iterations=args.iterations,
                                 progress=print)
    return format_markdown(result)


def register(subparsers, parents):
    """Add the ``speed`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("speed", parents=parents,
                              help="time the fast preset against the paper preset, BM3D and the classical pipeline")
    p.add_argument("images", nargs="*", help="photos to time (default: smartphone-beads/a.png of the data root)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", dest="out_markdown", default=None, help="write the Markdown table here")
    p.add_argument("--paper-steps", type=int, default=3)
    p.add_argument("--no-large", dest="large", action="store_false", help="skip the 12 MP case")
    p.add_argument("--threshold", default=None)
    p.add_argument("--iterations", type=int, default=None, help="cap on the fast preset's steps (smoke tests)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    add_doc_arguments(p, "speed")
    p.set_defaults(func=_run)
    return p
