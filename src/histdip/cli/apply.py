"""`histdip apply`: run a network saved by `histdip fit` feed-forward on new photos.

No fitting happens: each input goes once through the network in eval mode (the paper's
validation mode). Outputs are named ``<stem>_applied.tif`` (plus ``.json`` with the
model's config and the run record) in ``--outdir`` (default ``./histdip-output``).
"""

from __future__ import annotations

import time
from pathlib import Path

from .. import __version__
from ..io import OutputBatch, display_range, read_image, write_image
from ..plotting import side_by_side
from . import outputs

SUFFIX = "_applied"


def register(sub):
    p = sub.add_parser(
        "apply",
        help="apply a network saved by histdip fit to new photos (feed-forward, no fitting)",
        description="Apply a model written by 'histdip fit' to new images, feed-forward in eval mode.",
    )
    p.add_argument("model", metavar="MODEL.pt", help="model written by histdip fit")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="PNG, JPEG, BMP or TIFF image(s)")
    outputs.add_output_options(p)
    p.add_argument("--device", metavar="D", default=None, help="cpu, cuda, cuda:N, mps or auto (default: as fitted)")
    p.set_defaults(func=run)
    return p


def run(args):
    model_path = Path(args.model)
    protect = [Path(p) for p in args.inputs] + [model_path]
    outs = outputs.output_paths(args.inputs, args, SUFFIX)
    if len(outs) == 1:  # one input: refuse clobbering before loading anything
        outputs.preflight(_planned(outs[0], args), overwrite=args.overwrite, protect=protect)
    model = load_model(model_path, args.device)

    def one(index, path):
        apply_one(model, model_path, path, outs[index], args, protect)

    return outputs.for_each_input("apply", args.inputs, one)


def _planned(out, args):
    extras = outputs.side_paths(out)
    return [out, extras["json"]] + ([extras["side_by_side"]] if args.side_by_side else [])


def load_model(path, device=None):
    from ..fitted_model import FittedModel

    return FittedModel.load(path, device=device)


def apply_one(model, model_path, path, out, args, protect):
    from ..fitted_model import apply_model

    extras = outputs.side_paths(out)
    outputs.preflight(_planned(out, args), overwrite=args.overwrite, protect=protect)
    image = read_image(path)
    start = time.perf_counter()
    with outputs.about(path):
        result = apply_model(model, image)
    seconds = time.perf_counter() - start
    outputs.make_folder(out)
    with outputs.writing(out), OutputBatch(overwrite=args.overwrite, protect=protect) as batch:
        write_image(batch.stage(out), result, overwrite=True, like_dtype=image.dtype, keep_dtype=args.keep_dtype,
                    value_range=display_range(image) if image.dtype.kind == "f" else None)
        extra = {
            "run": {"mode": "apply (feed-forward, eval mode)", "seconds": round(seconds, 3)},
            "fit": model.fit_record,
            "model": str(model_path),
            "input": str(path),
            "output": str(out),
            "histdip_version": __version__,
        }
        model.config.save(batch.stage(extras["json"]), extra=extra)
        if args.side_by_side:
            side_by_side(image, result, batch.stage(extras["side_by_side"]),
                         titles=(f"input: {path.name}", f"applied: {model_path.name}"), overwrite=True)
    outputs.say(args, f"{path} -> {out}  ({seconds:.1f} s)")
