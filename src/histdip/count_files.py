"""Counting a histdip output as it was saved: which file a path is (output image,
layer or run record) and the count of its signal layer, with the noise and clipped
pixels read from the record and the photo it names. What ``histdip count`` does with a
histdip output, and what the report does with a saved run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .cli.outputs import side_paths
from .cli.restore import SUFFIX as OUTPUT_SUFFIX
from .count import count_objects, saturated_mask, signal_noise_sigma, signal_plane
from .errors import InputError
from .io import named_file, read_image, read_pixel_size, read_run_record
from .layers import LAYER_NAMES

__all__ = ["count_output", "histdip_output"]


def histdip_output(path):
    """What a histdip output ``path`` is: ``(run record path or None, layer name)``, or
    None for anything else (a photo). The layer is ``signal``, ``recording``,
    ``background`` or ``primary`` (the output image itself)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return path, "signal"
    stem = path.stem
    for name in LAYER_NAMES:
        if stem.endswith(f"{OUTPUT_SUFFIX}_{name}"):
            record = path.with_name(f"{stem[: -len(name) - 1]}.json")
            return (record if record.is_file() else None), name
    if stem.endswith(OUTPUT_SUFFIX):
        record = path.with_suffix(".json")
        return (record if record.is_file() else None), "primary"
    return None


def _layer_paths(record, record_path):
    """The output and layer images of the run whose record is ``record_path``."""
    suffix = Path(record.get("output") or "x.tif").suffix or ".tif"
    out = record_path.with_suffix(suffix)
    return {"primary": out, **side_paths(out)["layers"]}


def _full_scale(layer):
    """The full scale of a histdip layer written on its input's scale (0-1, 0-255 or 0-65535)."""
    top = float(np.max(layer)) if layer.size else 0.0
    return next((s for s in (1.0, 255.0, 65535.0) if top <= s * 1.0001), top)


def count_output(path, kind, *, pixel_size=None, min_snr=None):
    """Count a histdip output as it is: ``(Counts, notes, display image)``."""
    record_path, layer = kind
    notes = []
    record = read_run_record(record_path) if record_path is not None else None
    if record is not None:
        paths = _layer_paths(record, record_path)
        image_path = Path(path) if Path(path).suffix.lower() != ".json" else paths["signal"]
        if not image_path.is_file() and Path(path).suffix.lower() == ".json":
            if not paths["primary"].is_file():
                raise InputError(f"{path}: neither its signal layer {paths['signal'].name} nor its output "
                                 f"{paths['primary'].name} is beside it")
            image_path, layer = paths["primary"], "primary"
            notes.append("no signal layer beside the record: its output image counted")
    else:
        paths, image_path = {}, Path(path)
        notes.append("no run record beside it: the noise is read off the image itself")
    if layer == "background":
        raise InputError(f"{path}: is a background layer; count the signal layer (<stem>_histdip_signal.tif) "
                         "or the run record")
    signal = signal_plane(read_image(image_path))
    photo_path = named_file(record["input"], record_path) if record is not None else None
    photo = read_image(photo_path) if photo_path is not None else None
    scale = None
    if photo is not None:
        if photo.shape[:2] != signal.shape:
            raise InputError(f"{image_path}: is {signal.shape[1]}x{signal.shape[0]} but the photo its record "
                             f"names, {photo_path}, is {photo.shape[1]}x{photo.shape[0]}")
        from .validate import intensity_range

        lo, hi = intensity_range(photo)
        scale = hi - lo
        saturated = saturated_mask(photo)
    else:
        saturated = None
        if record is not None:
            notes.append("the photo its record names is not there: no clipped flags")
    sigma = None
    noise = (record or {}).get("run", {}).get("noise")
    background_path = paths.get("background")
    if noise and background_path is not None and background_path.is_file():
        background = signal_plane(read_image(background_path))
        sigma = signal_noise_sigma(noise=noise, background=background,
                                   scale=scale if scale is not None else _full_scale(background + signal))
    elif record is not None:
        notes.append("no noise model or background layer in the record: the noise is read off the image itself")
    if pixel_size is None:
        pixel_size = read_pixel_size(image_path) or (read_pixel_size(photo_path) if photo_path else None)
    options = {} if min_snr is None else {"min_snr": min_snr}
    counts = count_objects(signal, noise_sigma=sigma, saturated=saturated, pixel_size=pixel_size, **options)
    notes.insert(0, f"counted {image_path} ({'the output' if layer == 'primary' else f'{layer} layer'}) as it is")
    return counts, notes, signal
