"""`histdip score`: PSNR/SSIM (and CNR/SDNR on given regions), or the paper's protocol.

Two modes:

* ``histdip score RESTORED REFERENCE`` scores an output against a reference you trust;
  with ``--signal-mask`` and ``--background-mask`` it adds CNR and SDNR of RESTORED.
* ``histdip score IMAGE --protocol paper --threshold T [--restored R]`` reproduces the
  paper's evaluation, whose reference is derived from IMAGE itself (circular).

Definitions: :mod:`histdip.metrics` and ``docs/metrics.md``.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np

from ..errors import InputError
from ..io import read_image


def register(sub):
    p = sub.add_parser(
        "score",
        help="PSNR/SSIM of a result against a reference (or the paper's circular protocol)",
        description="Score RESTORED against REFERENCE: PSNR (dB) and SSIM, plus CNR and SDNR "
        "of RESTORED when region masks are given. With --protocol paper, score against the "
        "paper's reference built from IMAGE itself (IMAGE x its threshold mask, JPEG q75): "
        "that reference is CIRCULAR, not an independent ground truth.",
    )
    p.add_argument("image", metavar="RESTORED|IMAGE",
                   help="the result to score (or, with --protocol paper, the raw photo)")
    p.add_argument("reference", metavar="REFERENCE", nargs="?",
                   help="the trusted reference (not used with --protocol paper)")
    p.add_argument("--protocol", choices=("plain", "paper"), default="plain",
                   help="'paper': the HIST-DIP paper's evaluation, reference derived from IMAGE "
                   "(circular) (default: plain)")
    p.add_argument("--threshold", type=float, metavar="T",
                   help="paper protocol: the hand-picked threshold T on 0-255 (grey > T kept)")
    p.add_argument("--restored", metavar="R",
                   help="paper protocol: the output to score; omitted, IMAGE itself is scored "
                   "(the paper's 'before' figure)")
    p.add_argument("--signal-mask", metavar="M",
                   help="image file, nonzero = signal region (for CNR/SDNR)")
    p.add_argument("--background-mask", metavar="M",
                   help="image file, nonzero = background region (for CNR/SDNR)")
    p.add_argument("--channel", default="luma",
                   help="plane of a colour RESTORED used for CNR/SDNR: luma, red, green, blue, "
                   "auto or an index (default: luma)")
    p.add_argument("--data-range", type=float, metavar="R",
                   help="peak value for PSNR/SSIM (default from the reference dtype: 255, 65535, "
                   "or 1 for float in [0,1]); with --protocol paper, the full-scale value of R (default: "
                   "its dtype's, or for a float R 255 when it exceeds 1, as histdip writes an 8-bit photo's "
                   "result)")
    p.add_argument("--affine", action="store_true",
                   help="also report affine-fair PSNR/SSIM (output mapped onto the reference "
                   "by a least-squares gain and offset first)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=run)


def _read_mask(path, what, shape):
    mask = read_image(path)
    if mask.ndim == 3:
        mask = np.any(mask != 0, axis=-1)
    if mask.shape != shape:
        raise InputError(f"{what} {path} is {mask.shape[1]}x{mask.shape[0]}, image is {shape[1]}x{shape[0]}")
    return mask != 0


def _finite(value):
    # JSON has no infinity; identical images (PSNR = inf) are written as the string "inf".
    return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")


def _run_paper(args):
    from .. import protocol

    if args.reference is not None:
        raise InputError("--protocol paper takes one IMAGE (the raw photo); give the output with --restored")
    if args.threshold is None:
        raise InputError("--protocol paper needs --threshold T (the paper's per-image value)")
    if args.signal_mask or args.background_mask or args.affine:
        raise InputError("masks (CNR/SDNR) and --affine are not part of the paper protocol; use plain mode")
    photo = read_image(args.image)
    if photo.dtype != np.uint8:
        raise InputError(f"the paper protocol needs an 8-bit photo; {args.image} is {photo.dtype}")
    restored = photo if args.restored is None else read_image(args.restored)
    scale = args.data_range
    if scale is None and restored.dtype.kind == "f":
        # histdip writes its output on the input's scale: 0-255 for an 8-bit photo. A
        # float image within [0, 1] is on the unit scale.
        scale = 255.0 if restored.max() > 1.0 else 1.0
    if scale is not None and restored.dtype.kind != "f":
        restored = restored.astype(np.float64)
    scores = protocol.paper_scores(restored, photo, args.threshold, data_range=scale or 1.0)
    result = {"protocol": "paper", "image": args.image,
              "restored": args.restored if args.restored is not None else args.image,
              "before": args.restored is None, "restored_scale": scale}
    result.update(scores.to_dict())
    if args.json:
        result["psnr"] = _finite(result["psnr"])
        print(json.dumps(result, allow_nan=False))
        return 0
    what = "'before' (IMAGE itself)" if args.restored is None else args.restored
    on = "" if scale is None else f" (read on 0-{scale:g})"
    print(f"paper protocol, T = {args.threshold:g}, scoring {what}{on}")
    print(f"  PSNR  {scores.psnr:8.3f} dB   (RGB [0,1], peak 1)")
    print(f"  SSIM  {scores.ssim:8.4f}      (grey 0.2989/0.5870/0.1140, data_range 1)")
    print(f"  {protocol.CIRCULAR_NOTE}.")
    return 0


def run(args):
    if args.protocol == "paper":
        return _run_paper(args)
    from .. import metrics
    from ..colour import select_channel

    if args.reference is None:
        raise InputError("give RESTORED and REFERENCE (or use --protocol paper --threshold T)")
    for opt in ("threshold", "restored"):
        if getattr(args, opt) is not None:
            raise InputError(f"--{opt} belongs to --protocol paper")
    if bool(args.signal_mask) != bool(args.background_mask):
        raise InputError("CNR/SDNR need both --signal-mask and --background-mask")
    restored = read_image(args.image)
    reference = read_image(args.reference)
    if restored.shape != reference.shape:
        raise InputError(f"shapes differ: {args.image} {restored.shape} vs {args.reference} {reference.shape}")
    if restored.dtype != reference.dtype and args.data_range is None:
        print(f"histdip score: note: dtypes differ ({restored.dtype} vs {reference.dtype}); "
              "the peak value comes from the reference", file=sys.stderr)
    data_range = args.data_range if args.data_range is not None else metrics.default_data_range(reference)
    channel_axis = -1 if reference.ndim == 3 else None
    result = {"restored": args.image, "reference": args.reference, "data_range": data_range,
              "psnr": metrics.psnr(restored, reference, data_range),
              "ssim": metrics.ssim(restored, reference, data_range, channel_axis=channel_axis)}
    if args.affine:
        gain, offset = metrics.fit_affine(restored, reference)
        result.update(affine_gain=gain, affine_offset=offset,
                      psnr_affine=metrics.psnr(restored, reference, data_range, affine=True),
                      ssim_affine=metrics.ssim(restored, reference, data_range,
                                               channel_axis=channel_axis, affine=True))
    if args.signal_mask:
        plane = select_channel(restored, args.channel)
        sig = _read_mask(args.signal_mask, "signal mask", plane.shape)
        bg = _read_mask(args.background_mask, "background mask", plane.shape)
        result.update(channel=args.channel, cnr=metrics.cnr(plane, sig, bg), sdnr=metrics.sdnr(plane, sig, bg))
    if args.json:
        print(json.dumps({k: _finite(v) if isinstance(v, float) else v for k, v in result.items()},
                         allow_nan=False))
        return 0
    print(f"{args.image} vs {args.reference} (peak {data_range:g})")
    print(f"  PSNR  {result['psnr']:8.3f} dB")
    print(f"  SSIM  {result['ssim']:8.4f}")
    if args.affine:
        print(f"  affine fit: output x {result['affine_gain']:.4g} + {result['affine_offset']:.4g}")
        print(f"  PSNR  {result['psnr_affine']:8.3f} dB  (affine-fair)")
        print(f"  SSIM  {result['ssim_affine']:8.4f}     (affine-fair)")
    if args.signal_mask:
        print(f"  CNR   {result['cnr']:8.3f}      (of {args.image}, {args.channel})")
        print(f"  SDNR  {result['sdnr']:8.3f}")
    return 0
