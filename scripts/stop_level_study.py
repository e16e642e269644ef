"""Would the noise-level rule do better at another level, or one that rises as the image dims?

``record``: the ``cells`` fit (no threshold; what ``auto`` picks on these images) with
the levelling-off test switched off and a level of 0.7, 600 steps at most, a snapshot
every check, scored as the quality benchmark scores (``histdip.bench.quality.score``:
PSNR, affine PSNR, affine SSIM against the reference). ``fmd``: the 12 ``_1`` frames,
whole (512 px); ``other``: the 11 W2S frames (whole), Myxococcus (512 px centre crop),
and the 128 px simulated cells and filaments of seeds 11-19. Each row keeps the
statistic ``auto`` read.

``replay``: the default rule on the record at levels 0.8-1.3 and at ``1 + a / statistic``
(higher for dimmer images), per group: mean PSNR / affine PSNR / affine SSIM, mean steps,
and the best snapshot of each fit (affine PSNR) as an upper bound.

Run (1 thread per record, about 1 min per 512 px frame):
    .venv/bin/python scripts/stop_level_study.py record fmd fmd.json
    .venv/bin/python scripts/stop_level_study.py record other other.json
    .venv/bin/python scripts/stop_level_study.py replay fmd.json other.json
Quoted in docs/results.md ("Session 10"); records and replay in docs/figures/data/level-study/.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def record(which, out):
    import torch

    import histdip
    from histdip.bench.quality import Settings, load_items, score
    from histdip.config import RestoreConfig
    from histdip.restoration import prepare

    torch.set_num_threads(1)
    fast = RestoreConfig.from_preset("fast")
    if which == "fmd":
        names = tuple(p.stem for p in sorted((DATA / "fmd-test-mix" / "raw").glob("*_1.png")))
        items = load_items(["fmd"], Settings(crop=512, fmd_files=names))
    else:
        pairs = tuple(p.stem.replace("input_avg1_", "") for p in sorted((DATA / "w2s-8bit-subset" / "avg1").glob("*.tif")))
        items = load_items(["w2s", "myxo"], Settings(crop=512, w2s_pairs=pairs))
        items += load_items(["sim-cells", "sim-filaments"], Settings(sim_seeds=tuple(range(11, 20))))
    rows = []
    for it in items:
        t0 = time.perf_counter()
        snr = float(prepare(it.image, fast, fit=False)[2].split("average ")[1].split(" ")[0])
        r = histdip.restore_detailed(it.image, seed=0, sample="cells", snapshots=10,
                                     stopping={"patience": 10000, "near_patience": 10000, "level": 0.7})
        scores = {}
        for k, s in r.snapshots:
            m = score(it, np.asarray(s, np.float64))
            scores[int(k)] = [m["psnr"], m["psnr_affine"], m["ssim_affine"]]
        rows.append({"dataset": it.dataset, "name": it.name, "snr": snr, "trace": r.stop_trace, "scores": scores})
        Path(out).write_text(json.dumps(rows))
        print(f"{it.dataset} {it.name} statistic {snr:.1f} steps {r.iterations} "
              f"best affine {max(v[1] for v in scores.values()):.2f} {time.perf_counter() - t0:.0f} s", flush=True)


def replay_one(row, level):
    from histdip.config import RestoreConfig
    from histdip.fitting import NoiseLevelStopper

    stopping = RestoreConfig.from_preset("fast").stopping.model_copy(update={"level": level})
    stopper = NoiseLevelStopper.from_config(stopping, np.zeros(1), np.ones(1), thresholded=False)
    best, stop = stopper.replay(row["trace"])
    return row["scores"][str(best)], stop


RULES = {f"level {v:g}": (lambda r, v=v: v) for v in (0.8, 0.9, 1.0, 1.1, 1.2, 1.3)}
RULES.update({f"1 + {a:g}/statistic": (lambda r, a=a: 1 + a / r["snr"]) for a in (0.5, 1, 2)})


def replay(paths):
    rows = [r for p in paths for r in json.loads(Path(p).read_text())]
    for group in sorted({r["dataset"] for r in rows}):
        rs = [r for r in rows if r["dataset"] == group]
        bound = np.mean([max(v[1] for v in r["scores"].values()) for r in rs])
        print(f"\n{group}, {len(rs)} images (best snapshot, affine PSNR: {bound:.2f})")
        print("| rule | PSNR | PSNR aff | SSIM aff | steps |\n|---|---|---|---|---|")
        for name, level in RULES.items():
            res = [replay_one(r, level(r)) for r in rs]
            m = np.mean([s for s, _ in res], axis=0)
            print(f"| {name} | {m[0]:.2f} | {m[1]:.2f} | {m[2]:.3f} | {np.mean([n for _, n in res]):.0f} |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["record"] and len(sys.argv) == 4:
        record(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["replay"] and len(sys.argv) > 2:
        replay(sys.argv[2:])
    else:
        raise SystemExit(__doc__)
