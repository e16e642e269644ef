"""``python -m benchmarks primary``: the primary layer the learned split picks on every
real image in the data folder, with the background pedestal it is decided from.

No fit runs: the pedestal is read from the input (:func:`histdip.prior.decide_primary`),
as ``histdip restore --threshold learned`` reads it. The expectation (issue: one signal
model) is the signal on every phone photo and the recording on every microscope frame.
"""

from __future__ import annotations

from pathlib import Path

from histdip.noise import estimate_noise
from histdip.planes import read_planes
from histdip.prior import auto_background_radius, decide_primary

from .datasets import data_root, fmd_pairs, phone_photos, read_image
from .doc import add_doc_arguments, markdown_table
from .flags import add_out_argument, emit

#: Group -> (what its primary layer should be, how to list its images).
GROUPS = {
    "smartphone bead photos": ("signal", lambda root: sorted(phone_photos(root).items())),
    "FMD test mix (raw frames)": ("recording", lambda root: [(n, raw) for n, raw, _ in fmd_pairs(root)]),
    "W2S (avg1 frames)": ("recording", lambda root: [
        (p.stem, read_image(p)) for p in sorted((Path(root) / "w2s-8bit-subset" / "avg1").glob("*.tif"))]),
    "Myxococcus (16-bit)": ("recording", lambda root: [
        (p.stem, read_image(p)) for p in sorted((Path(root) / "nd-myxococcus-16bit").glob("Noisy*.png"))]),
}


def pedestals(root, log=print):
    """One row per image: group, name, pedestal, primary and the expected primary."""
    rows = []
    for group, (expected, items) in GROUPS.items():
        for name, image in items(root):
            luma = read_planes(image).luma
            choice = decide_primary(luma, estimate_noise(luma), auto_background_radius(luma, smooth=1.0))
            rows.append(dict(group=group, name=name, pedestal=choice.pedestal, primary=choice.primary,
                             expected=expected))
            log(f"{group}: {name}: pedestal {choice.pedestal:.2f} -> {choice.primary}")
    return rows


def primary_markdown(rows):
    table = []
    for group, (expected, _) in GROUPS.items():
        sub = [r for r in rows if r["group"] == group]
        if not sub:
            continue
        hits = sum(r["primary"] == expected for r in sub)
        p = [r["pedestal"] for r in sub]
        table.append([group, str(len(sub)), f"{min(p):.2f} to {max(p):.2f}", expected, f"{hits} of {len(sub)}"])
    return markdown_table(["images", "n", "pedestal (noise sigma)", "expected primary", "picked as expected"], table)


def _run(args):
    rows = pedestals(data_root(args.data))
    return emit(primary_markdown(rows), rows, args.out)


def register(subparsers, parents):
    """Add the ``primary`` command to ``python -m benchmarks``."""
    p = subparsers.add_parser("primary", parents=parents,
                              help="the primary layer the learned split picks on every real image")
    add_out_argument(p, "the per-image pedestals")
    add_doc_arguments(p, "primary")
    p.set_defaults(func=_run)
    return p
