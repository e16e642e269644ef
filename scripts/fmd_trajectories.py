"""Record whole fits on the FMD frames once, then replay stopping rules on the record.

``record``: for each frame, the default preset (``--threshold 0``, no background
subtraction: FMD's references keep their background) runs to its iteration cap with the
levelling-off test switched off (patience 10 000); a snapshot of the output every check
(10 steps) is scored against the 50-frame mean (PSNR on 8-bit values, peak 255, as
scripts/fmd_check.py) and the noise-level rule's discrepancy ratio at each check is kept.

``replay``: feeds each recorded ratio trace to :class:`histdip.fitting.NoiseLevelStopper`
with the given settings and reports, per rule, the mean PSNR of the output that rule
returns (the best-rated check up to its stop, as the fit loop does) and its mean steps.
A fit is deterministic for a seed and thread count, so a stop replayed on the record is
the stop the rule makes in a real run with the same settings.

Run:
    .venv/bin/python scripts/fmd_trajectories.py record --out traj.json   # 48 frames, ~1 h, 1 thread
    .venv/bin/python scripts/fmd_trajectories.py replay traj.json \\
        --rule patience=5 --rule patience=10 --rule patience=5,near_level=3,near_patience=20
"""

import argparse
import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

import histdip
from histdip.config import StoppingConfig, parse_assignments
from histdip.fitting import NoiseLevelStopper
from histdip.metrics import psnr

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "fmd-test-mix"


def record(args):
    torch.set_num_threads(args.threads)
    frames = sorted((args.data / "raw").glob("*_1.png" if args.frames == "first" else "*.png"))
    if not frames:
        raise SystemExit(f"no FMD frames under {args.data / 'raw'}")
    rows = []
    for path in frames:
        noisy = iio.imread(path)
        gt = iio.imread(args.data / "gt" / path.name).astype(np.float64)
        r = histdip.restore_detailed(
            noisy, threshold=0, background="none", seed=args.seed, snapshots=10,
            stopping={"patience": 10_000}, **parse_assignments(args.set),
        )
        scores = {k: psnr(np.clip(np.round(s), 0, 255), gt, data_range=255) for k, s in r.snapshots}
        rows.append({"frame": path.stem, "trace": r.stop_trace, "psnr": scores, "stop_reason": r.stop_reason})
        best = max(scores.values())
        print(f"{path.stem}: {r.iterations} steps, best snapshot {best:.2f} dB, {r.seconds:.0f} s", flush=True)
        args.out.write_text(json.dumps({"config": r.config.to_dict(), "rows": rows}))


def replay_one(row, stopping):
    """(PSNR, steps) of the output the rule ``stopping`` returns on one recorded fit."""
    stopper = NoiseLevelStopper.from_config(stopping, np.zeros(1), np.ones(1), thresholded=False)  # T = 0 fits
    scores = {int(k): v for k, v in row["psnr"].items()}
    best_step, stop = stopper.replay(row["trace"])
    return scores[best_step], stop


def replay(args):
    data = json.loads(args.record.read_text())
    # A record made by an older histdip may name settings this one no longer has.
    base = StoppingConfig(**{k: v for k, v in data["config"]["stopping"].items() if k in StoppingConfig.model_fields})
    print(f"{len(data['rows'])} frames; upper bound (best snapshot of each fit): "
          f"{np.mean([max(r['psnr'].values()) for r in data['rows']]):.2f} dB")
    print("| rule | mean PSNR | mean steps | frames `_2`..`_4` |\n|---|---|---|---|")
    for spec in args.rule:
        changes = parse_assignments(filter(None, spec.split(",")))
        stopping = base.model_copy(update=changes)
        results = [replay_one(row, stopping) for row in data["rows"]]
        held = [p for (p, _), row in zip(results, data["rows"]) if not row["frame"].endswith("_1")]
        print(f"| {spec} | {np.mean([p for p, _ in results]):.2f} | {np.mean([s for _, s in results]):.0f} "
              f"| {np.mean(held) if held else float('nan'):.2f} |")


p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
sub = p.add_subparsers(dest="command", required=True)
r = sub.add_parser("record")
r.add_argument("--data", type=Path, default=DATA)
r.add_argument("--frames", choices=["all", "first"], default="all")
r.add_argument("--seed", type=int, default=0)
r.add_argument("--threads", type=int, default=1)
r.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
               help="RestoreConfig override (JSON value), e.g. physics='{\"kind\": \"identity\"}'; repeatable")
r.add_argument("--out", type=Path, required=True)
r.set_defaults(run=record)
q = sub.add_parser("replay")
q.add_argument("record", type=Path)
q.add_argument("--rule", action="append", default=[], metavar="FIELD=VALUE,...",
               help="stopping settings to replay, e.g. patience=5,near_level=3,near_patience=20; repeatable")
q.set_defaults(run=replay)
args = p.parse_args()
args.run(args)
