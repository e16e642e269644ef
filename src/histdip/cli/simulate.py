"""`histdip simulate`: write simulated fluorescence (or brightfield) photos with their ground truth.

For each scene ``<kind>_<seed>`` it writes

* ``<stem>_photo.png``   the noisy 8-bit RGB photo;
* ``<stem>_clean.tif``   the clean reference, float32 in [0, 1] (tifffile);
* ``<stem>_clean16.png`` a 16-bit grey preview of it (0..1 -> 0..65535, not stretched);
* ``<stem>_beads.csv``   the bead list: y, x, radius, brightness, flare (pixels, 0..1);
* ``<stem>_params.json`` every parameter used (enough to re-create the scene).

The five files of a scene appear together or not at all; existing files are refused
unless ``--overwrite``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from ..errors import ConfigError, InputError
from .outputs import writing

KINDS = ("beads", "cells", "filaments", "empty", "brightfield")
BEAD_SIZES = ("mixed", "points", "small", "medium", "large")
SUFFIXES = ("_photo.png", "_clean.tif", "_clean16.png", "_beads.csv", "_params.json")


def parse_size(text):
    """'HxW' (rows x columns, e.g. '1200x900') -> (H, W)."""
    parts = str(text).lower().replace("*", "x").split("x")
    try:
        h, w = (int(p) for p in parts)
    except ValueError:
        raise ConfigError(f"--size must be HxW in pixels, e.g. 1200x900; got {text!r}") from None
    if h < 16 or w < 16 or h * w > 64_000_000:
        raise ConfigError(f"--size {text!r}: each side must be >= 16 px and the image at most 64 Mpx")
    return h, w


def parse_bead_size(text):
    """A bead class name or 'MIN,MAX' diameters in px."""
    if text in BEAD_SIZES:
        return text
    try:
        lo, hi = (float(v) for v in str(text).split(","))
    except ValueError:
        raise ConfigError(f"--bead-size must be one of {', '.join(BEAD_SIZES)} or MIN,MAX "
                          f"diameters in px; got {text!r}") from None
    return (lo, hi)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_scene(scene, outdir, stem, *, overwrite=False):
    """Write the five files of one scene, all or none (:class:`histdip.io.OutputBatch`);
    returns their paths."""
    import tifffile
    from PIL import Image

    from ..io import OutputBatch

    paths = [outdir / f"{stem}{s}" for s in SUFFIXES]
    with OutputBatch(overwrite=overwrite) as batch:
        staged = [batch.stage(p) for p in paths]
        Image.fromarray(scene.noisy_rgb).save(staged[0], format="PNG")
        tifffile.imwrite(staged[1], scene.clean.astype(np.float32))
        Image.fromarray(np.round(np.clip(scene.clean, 0, 1) * 65535).astype(np.uint16)).save(staged[2], format="PNG")
        with open(staged[3], "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(scene.beads.dtype.names)
            for row in scene.beads:
                writer.writerow([f"{float(v):.4f}" for v in row])
        with open(staged[4], "w") as fh:
            json.dump(_jsonable(scene.params), fh, indent=2, sort_keys=True)
            fh.write("\n")
    return paths


def run(args):
    from ..simulate import simulate_brightfield, simulate_scene

    if args.count < 1:
        raise ConfigError(f"--count must be >= 1, got {args.count}")
    if args.seed < 0:
        raise ConfigError(f"--seed must be >= 0, got {args.seed}")
    if not np.isfinite(args.noise_level) or args.noise_level < 0:
        raise ConfigError(f"--noise-level must be >= 0, got {args.noise_level}")
    shape = parse_size(args.size)
    bead_size = parse_bead_size(args.bead_size)
    outdir = Path(args.outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"{outdir} exists and is not a folder")
    stems = [f"{args.kind}_{args.seed + i:04d}" for i in range(args.count)]
    if not args.overwrite:
        existing = [outdir / f"{stem}{s}" for stem in stems for s in SUFFIXES if (outdir / f"{stem}{s}").exists()]
        if existing:
            more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
            raise InputError(f"{existing[0]} already exists{more}; use --overwrite to replace")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create {outdir}: {err}") from None
    for i, stem in enumerate(stems):
        if args.kind == "brightfield":  # dark absorbing objects; clean: the noise-free recording
            over = {} if isinstance(bead_size, str) else {"radius": (bead_size[0] / 2, bead_size[1] / 2)}
            scene = simulate_brightfield(shape, args.seed + i, noise_level=args.noise_level, **over)
            objects = len(scene.beads)
        else:
            scene = simulate_scene(args.kind, shape=shape, seed=args.seed + i, noise_level=args.noise_level,
                                   bead_size=bead_size)
            objects = scene.params["n_objects"]
        with writing(outdir / f"{stem}_photo.png"):
            write_scene(scene, outdir, stem, overwrite=args.overwrite)
        print(f"wrote {outdir / stem}_{{photo.png,clean.tif,clean16.png,beads.csv,params.json}}"
              f" ({objects} objects)")
    print(f"{len(stems)} scene(s) of kind '{args.kind}' in {outdir.resolve()}")
    return 0


def register(sub):
    p = sub.add_parser(
        "simulate",
        help="write simulated fluorescence or brightfield photos with clean references",
        description="Simulate smartphone fluorescence bead photos (or grey cells / filaments, or an "
        "empty field, or brightfield: dark absorbing objects on an uneven bright field) with a known clean image, "
        "calibrated on the HIST-DIP paper's photos. For each "
        "scene: noisy photo PNG, clean float32 TIFF and 16-bit PNG preview, bead list CSV and "
        "parameter JSON.",
    )
    p.add_argument("outdir", help="output folder (created if missing)")
    p.add_argument("--kind", choices=KINDS, default="beads", help="scene kind (default beads)")
    p.add_argument("--count", type=int, default=1, help="number of scenes (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first scene; scene i uses seed+i (default 0)")
    p.add_argument("--noise-level", type=float, default=1.0,
                   help="noise standard deviation relative to the calibrated level (default 1)")
    p.add_argument("--size", default="1200x900", help="HxW in pixels, rows x columns (default 1200x900)")
    p.add_argument("--bead-size", default="mixed",
                   help=f"bead class ({', '.join(BEAD_SIZES)}) or MIN,MAX diameter in px (default mixed)")
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    p.set_defaults(func=run)
