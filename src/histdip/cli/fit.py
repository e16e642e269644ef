"""`histdip fit`: fit the network on one photo and save it, for `histdip apply`.

This is the paper's validation mode as coded: the network fitted on one training photo
is applied feed-forward to new photos. ``MODEL.pt`` holds the weights, the config and
the fit record; ``MODEL.json`` beside it holds the config and record in readable form.
"""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..errors import ConfigError
from ..io import OutputBatch, read_image
from ..validate import require_signal
from . import config_flags, outputs


def register(sub):
    p = sub.add_parser(
        "fit",
        help="fit the network on one photo and save it (apply it to others with histdip apply)",
        description="Fit HIST-DIP on one photo and save the fitted network to MODEL.pt (weights + config), "
        "with MODEL.json (config + fit record) beside it.",
    )
    p.add_argument("image", metavar="IMAGE", help="training photo (PNG, JPEG, BMP or TIFF)")
    p.add_argument("-o", "--output", metavar="MODEL.pt", required=True, help="model file to write (.pt)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing model file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary line")
    config_flags.add_prior_options(p)
    config_flags.add_fit_options(p, methods=("hist-dip", "dip"))
    p.set_defaults(func=run)
    return p


def run(args):
    from ..fitted_model import fit_model

    config = config_flags.config_from_args(args)
    path = Path(args.image)
    out = Path(args.output)
    if out.suffix.lower() != ".pt":
        raise ConfigError(f"{out}: the model file name must end in .pt")
    sidecar = out.with_suffix(".json")
    outputs.preflight([out, sidecar], overwrite=args.overwrite, protect=[path])
    image = read_image(path)
    with outputs.about(path):
        model = fit_model(require_signal(image), config, progress=not args.quiet)
    outputs.make_folder(out)
    with outputs.writing(out), OutputBatch(overwrite=args.overwrite, protect=[path]) as batch:
        model.save(batch.stage(out))
        extra = {"run": model.fit_record, "input": str(path), "model": str(out), "histdip_version": __version__}
        model.config.save(batch.stage(sidecar), extra=extra)
    record = model.fit_record
    outputs.say(args, f"{path} -> {out}  (T={record.get('threshold', float('nan')):.4g}, "
                f"{record.get('iterations')} iterations, {record.get('stop_reason')}, {record.get('seconds')} s)")
    return 0
