"""Train and apply a CAREamics model (Noise2Void or CARE) on .npy files; run in the
separate CAREamics virtual environment (``make careamics-env``), never imported by
the benchmarks.

Usage (all arguments on the command line; see ``--help``)::

    .bench-envs/careamics/bin/python careamics_runner.py n2v \
        --input noisy.npy --output restored.npy --epochs 10 --seed 0

* ``--input``: 2-D float array (H, W) to restore (values on [0, 1]).
* ``--train-input`` / ``--train-target``: (N, H, W) or (H, W) arrays of training
  inputs / targets. N2V trains on ``--train-input`` if given, else on ``--input``
  (self-supervised). CARE needs both (supervised pairs).
* ``--output``: float32 (H, W) prediction, raw (no clipping; the caller clips).
* ``--meta``: optional JSON file with versions, timings and the final losses.

This file deliberately imports nothing from histdip (histdip is not installed in that
environment) and removes its own folder from ``sys.path`` so that sibling modules such
as ``careamics.py`` and ``bm3d.py`` cannot shadow the packages of the same name.
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402


def _parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("algorithm", choices=["n2v", "care"])
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--train-input")
    p.add_argument("--train-target")
    p.add_argument("--work-dir", required=True)
    p.add_argument("--meta")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--steps", type=int, default=None, help="batches per epoch (None: all)")
    p.add_argument("--patch-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--val-patches", type=int, default=8)
    p.add_argument("--repeat", type=int, default=1,
                   help="stack the training image(s) this many times: CAREamics draws "
                        "(H/patch)*(W/patch) random patches per image per epoch, so this "
                        "multiplies the patches (and steps) per epoch")
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--num-channels-init", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--n2v2", action="store_true")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--tile-size", type=int, default=None)
    p.add_argument("--tile-overlap", type=int, default=48)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--accelerator", default="cpu")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = _parse(argv)
    t0 = time.perf_counter()
    import numpy as np
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    import careamics
    from careamics import CAREamist
    from careamics.config import create_advanced_care_config, create_advanced_n2v_config

    t_import = time.perf_counter() - t0

    image = np.load(args.input).astype(np.float32)
    if image.ndim != 2:
        raise SystemExit(f"--input must be 2-D, got {image.shape}")
    train_x = np.load(args.train_input).astype(np.float32) if args.train_input else image
    train_y = np.load(args.train_target).astype(np.float32) if args.train_target else None
    if args.algorithm == "care" and train_y is None:
        raise SystemExit("CARE needs --train-input and --train-target")
    if train_y is not None and train_y.shape != train_x.shape:
        raise SystemExit(f"train input {train_x.shape} and target {train_y.shape} differ")
    if args.repeat > 1:
        train_x = np.stack([train_x] * args.repeat) if train_x.ndim == 2 else \
            np.concatenate([train_x] * args.repeat)
        if train_y is not None:
            train_y = np.stack([train_y] * args.repeat) if train_y.ndim == 2 else \
                np.concatenate([train_y] * args.repeat)
    axes = "YX" if train_x.ndim == 2 else "SYX"

    common = dict(
        experiment_name=f"histdip_{args.algorithm}",
        data_type="array",
        axes=axes,
        patch_size=[args.patch_size, args.patch_size],
        batch_size=args.batch_size,
        num_epochs=args.epochs,
        num_steps=args.steps,
        augmentations=[] if args.no_augment else None,
        n_val_patches=args.val_patches,
        num_workers=0,
        trainer_params={"accelerator": args.accelerator, "devices": 1,
                        "enable_model_summary": False, "deterministic": True},
        model_params={"depth": args.depth, "num_channels_init": args.num_channels_init},
        optimizer_params={"lr": args.lr},
        logger="none",
        # CAREamics requires seed > 0; map histdip's seed s (>= 0) to s + 1
        seed=args.seed + 1,
    )
    if args.algorithm == "n2v":
        config = create_advanced_n2v_config(use_n2v2=args.n2v2, **common)
    else:
        config = create_advanced_care_config(**common)

    model = CAREamist(config, work_dir=args.work_dir, enable_progress_bar=False)
    t1 = time.perf_counter()
    if train_y is None:
        model.train(train_data=train_x)
    else:
        model.train(train_data=train_x, train_data_target=train_y)
    t_train = time.perf_counter() - t1

    t2 = time.perf_counter()
    tile = None
    if args.tile_size:
        tile = (args.tile_size, args.tile_size)
    kw = dict(data_type="array", axes="YX")
    if args.algorithm == "care":  # CARE keeps the training target axes (SYX) otherwise;
        kw["output_axes"] = "YX"  # N2V refuses any output_axes

    if tile is not None:
        kw.update(tile_size=tile, tile_overlap=(args.tile_overlap, args.tile_overlap))
    preds, _ = model.predict(image, **kw)
    pred = np.asarray(preds[0] if isinstance(preds, (list, tuple)) else preds)
    pred = np.squeeze(pred).astype(np.float32)
    if pred.shape != image.shape:
        raise SystemExit(f"prediction shape {pred.shape} != input shape {image.shape}")
    t_pred = time.perf_counter() - t2
    np.save(args.output, pred)

    if args.meta:
        losses = {}
        try:
            rep = model.get_losses()
            for name in ("train_loss", "val_loss"):
                series = getattr(rep, name, None)
                if series is not None and len(series.value):
                    losses[name] = float(series.value[-1])
        except Exception as exc:  # losses are informative only
            losses = {"error": repr(exc)}
        meta = {
            "careamics": careamics.__version__,
            "torch": torch.__version__,
            "algorithm": args.algorithm,
            "seconds_import": round(t_import, 3),
            "seconds_train": round(t_train, 3),
            "seconds_predict": round(t_pred, 3),
            "losses": losses,
        }
        with open(args.meta, "w") as fh:
            json.dump(meta, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
