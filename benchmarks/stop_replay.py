"""The ``stop-replay`` command: where the noise-level rule stops the default's fits of
the sweep's colour photos, and what each stop costs against the clean image.

Each colour bead scene of the sweep (:data:`benchmarks.sweep_grid.GRID`, the seeds of
``--seeds``) is restored once by the default with the levelling-off test off (the rule
never stops before the iteration cap), keeping the signal every 10 steps, the
stopping rule's check interval: its affine PSNR, SSIM and bead F1 against the clean
signal (:func:`benchmarks.sweep_metrics.score_layer`, as the sweep scores it) and the
rule's discrepancy ratio at every check. A stopping rule is then *replayed* on the
recorded ratios (:meth:`histdip.fit.NoiseLevelStopper.replay`): the check it stops at
and the check whose weights it ends on, whose scores were recorded. The fit's path does
not depend on where it stops, so one recording rates every rule.

Rules (:data:`RULES`): the default as configured now, and the variants named there.
Records go to ``--out`` (one JSON per scene, with the settings it was fitted with; a
rerun keeps a record made with the settings it would fit with, and fits the scene again
otherwise: a change of the default is recorded afresh); ``--set`` records fits of the
default with those overrides, into a folder of their own.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np

from .doc import add_doc_arguments, markdown_table
from .flags import add_set_argument
from .sweep_grid import GRID, HELD_OUT_SEEDS, TUNING_SEEDS, make_scene, scene_seed

SEED_SETS = {"tuning": TUNING_SEEDS, "held-out": HELD_OUT_SEEDS}

#: The levelling-off test off: the rule's ratio is recorded, the fit runs to the cap.
NEVER = {"level": 1e-9, "patience": 100000, "near_patience": 100000}

#: Replayed rules: name -> StoppingConfig overrides on the default's.
RULES = {
    "default": {},
    "may level off before it starts (schema 5)": {"started": None},
    "started 0.3": {"started": 0.3},
    "started 0.7": {"started": 0.7},
    "near-level 4 (schema 3)": {"near_level": 4.0, "started": None},
    "near-level 2": {"near_level": 2.0},
    "tolerance 0.1": {"tolerance": 0.1},
    "patience 2": {"patience": 2},
}


def record_scene(spec, seed, index, *, iterations=600, overrides=None):
    """One scene's record: trace, per-check signal scores, final scores."""
    import histdip

    from .sweep_methods import result_layers, scored_plane
    from .sweep_metrics import SceneTruth, score_layer

    scene, record, snrs = make_scene(spec, scene_seed(seed, index))
    truth = SceneTruth(scene, record, snrs)
    t = time.perf_counter()
    r = histdip.restore_detailed(scene.noisy_rgb, snapshots=10, **fit_settings(iterations, overrides))
    seconds = time.perf_counter() - t
    layers, primary = result_layers(r)
    final = score_layer(layers["signal"], truth, kind="signal")
    snaps = []
    for k, a in r.snapshots:
        s = score_layer(scored_plane(a), truth, kind="signal")
        snaps.append((int(k), s["psnr_clean"], s["ssim_clean"], s.get("f1")))
    return dict(seed=seed, name=spec.name, snr=record["snr"], bin=record.get("bin"), primary=primary,
                seconds=seconds, iterations=iterations, overrides=overrides or {},
                settings=requested_config(iterations, overrides),
                final=dict(psnr=final["psnr_clean"], ssim=final["ssim_clean"], f1=final.get("f1")),
                best_step=r.fit.best_step, zero_ratio=r.fit.zero_ratio, rewinds=[list(x) for x in r.fit.rewinds],
                trace=[[int(k), float(v)] for k, v in r.fit.trace], snaps=snaps)


def fit_settings(iterations, overrides):
    """The settings each recorded fit runs with: the default, ``overrides``, seed 0, the
    cap, and the levelling-off test off."""
    over = dict(overrides or {})
    over["stopping"] = {**over.get("stopping", {}), **NEVER}
    return dict(seed=0, iterations=iterations, **over)


def requested_config(iterations, overrides):
    """Every field of the configuration those settings make, as a mapping."""
    from histdip.config import RestoreConfig

    return json.loads(json.dumps(RestoreConfig().replace(**fit_settings(iterations, overrides)).to_dict()))


def _current(path, settings):
    try:
        return json.loads(path.read_text()).get("settings") == settings
    except (OSError, ValueError):
        return False


def record(seeds, out, log=print, iterations=600, overrides=None):
    """Record every colour scene of ``seeds`` into ``out``, keeping those there that were
    fitted with the same settings."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    settings = requested_config(iterations, overrides)
    for seed in seeds:
        for index, spec in enumerate(GRID):
            path = out / f"rec_{seed}_{spec.name}.json"
            if not spec.colour or _current(path, settings):
                continue
            rec = record_scene(spec, seed, index, iterations=iterations, overrides=overrides)
            path.write_text(json.dumps(rec))
            if log:
                log(f"{spec.name} seed {seed}: {rec['seconds']:.0f} s, signal at the cap "
                    f"{rec['snaps'][-1][1]:.2f} dB")


def flat_steps(rec):
    """The checks at which the fit's output was all zero, read from the record: an
    all-zero output scores the scene's constant-output PSNR, the same at every such
    check, and finds no bead. The live rule never counts such a check as levelled off
    (:meth:`histdip.fit.NoiseLevelStopper.observe`), so the replay must know them."""
    snaps = [(int(k), p, f) for k, p, _, f in rec["snaps"]]
    counts = {}
    for _, p, f in snaps:
        if not f:
            counts[round(p, 9)] = counts.get(round(p, 9), 0) + 1
    return {k for k, p, f in snaps if not f and counts.get(round(p, 9), 0) > 1}


def replay(rec, stopping):
    """(best step, stop step, psnr, ssim, f1) of ``stopping`` on one record
    (:meth:`histdip.fit.NoiseLevelStopper.replay`, told which checks were all zero)."""
    from histdip.fit import NoiseLevelStopper

    s = NoiseLevelStopper.from_config(stopping, np.zeros(1), np.ones(1), thresholded=True)
    best, stop = s.replay([(int(k), float(v)) for k, v in rec["trace"]], flat=flat_steps(rec),
                          zero_ratio=rec.get("zero_ratio"))
    scores = {int(k): (p, q, f) for k, p, q, f in rec["snaps"]}
    return (best, stop, *scores[best])


def table(records):
    """The rules' Markdown table over ``records``, and a per-scene one."""
    from histdip.config import RestoreConfig

    default = RestoreConfig().stopping
    cap = max(r["iterations"] for r in records)
    rows, per = [], {}
    oracle = np.mean([max(s[1] for s in r["snaps"]) for r in records])
    for name, over in RULES.items():
        stopping = default.model_copy(update=over)
        res = [replay(r, stopping) for r in records]
        per[name] = res
        steps = np.array([x[1] for x in res])
        rows.append([name, f"{np.mean([x[2] for x in res]):.2f}", f"{np.mean([x[3] for x in res]):.3f}",
                     f"{np.mean([x[4] or 0 for x in res]):.3f}", f"{steps.mean():.0f}", f"{np.median(steps):.0f}",
                     f"{int((steps >= cap).sum())} of {len(res)}"])
    for k in (100, 200, 300, cap):
        at = [dict((int(s[0]), s[1]) for s in r["snaps"]).get(k) for r in records]
        if None not in at:
            rows.append([f"fixed {k} steps", f"{np.mean(at):.2f}", "", "", str(k), str(k), ""])
    rows.append(["best check of each fit (needs the clean image)", f"{oracle:.2f}", "", "", "", "", ""])
    text = markdown_table(["rule", "PSNR vs clean (dB)", "SSIM", "bead F1", "mean steps", "median steps",
                           "at the cap"], rows)
    names = list(RULES)[:2]
    bins = sorted({r.get("bin") for r in records if r.get("bin") is not None})
    if bins:
        from .sweep_grid import bin_label

        bin_rows = [[n, *[f"{np.mean([per[n][i][2] for i, r in enumerate(records) if r.get('bin') == b]):.2f}"
                          for b in bins]] for n in names]
        text += "\n\nPSNR vs clean (dB) per bin of measured object SNR:\n\n" + markdown_table(
            ["rule", *[f"{bin_label(b)} (n={sum(r.get('bin') == b for r in records)})" for b in bins]], bin_rows)
    scene_rows = [[r["name"], r["seed"], f"{r['snr']:.1f}",
                   *[f"{per[n][i][2]:.2f} ({per[n][i][1]})" for n in names]] for i, r in enumerate(records)]
    text += "\n\nPer scene, PSNR vs clean (stop step):\n\n" + markdown_table(
        ["scene", "seed", "SNR", *names], scene_rows)
    return text


def _run(args):
    from .flags import config_overrides

    seeds = SEED_SETS[args.seeds]
    overrides = config_overrides(args.set, "stop-replay")
    tag = "-".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in sorted(overrides.items()))
    folder = re.sub(r"[^A-Za-z0-9.=]+", "-", tag).strip("-")
    out = Path(args.out) / (f"{args.seeds}_{folder}" if tag else args.seeds)
    if not args.replay_only:
        record(seeds, out, iterations=args.iterations, overrides=overrides)
    records = [json.loads(p.read_text()) for p in sorted(out.glob("rec_*.json"))]
    records = [r for r in records if r["seed"] in seeds]
    if not records:
        raise SystemExit(f"no records in {out}")
    settings = f" with {tag}" if tag else ""
    used = ", ".join(map(str, sorted({r["seed"] for r in records})))
    text = (f"{len(records)} colour scenes of the sweep, seeds {used} ({args.seeds}); each fit of the "
            f"default{settings} recorded once to {records[0]['iterations']} steps, the rules replayed on it; "
            f"the signal layer against the clean signal.\n\n" + table(records))
    print(text)
    return text


def register(subparsers, parents):
    """Add the ``stop-replay`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("stop-replay", parents=parents,
                              help="stopping rules replayed on recorded fits of the sweep's colour photos")
    p.add_argument("--seeds", choices=sorted(SEED_SETS), default="tuning",
                   help="the sweep's tuning seeds (for choosing) or its held-out seeds (for reporting)")
    p.add_argument("--out", default="bench-results/stop-replay", help="folder of the records (default %(default)s)")
    p.add_argument("--iterations", type=int, default=600, help="the cap each fit is recorded to (default 600)")
    p.add_argument("--replay-only", action="store_true", help="replay the records there, record nothing")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    add_set_argument(p, "the recorded fits")
    add_doc_arguments(p, "stop-replay")
    p.set_defaults(func=_run)
    return p
