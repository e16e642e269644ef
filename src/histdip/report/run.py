"""What a report is made from: one restoration, held in memory or read back from its files.

:func:`run_from_result` takes a :class:`~histdip.result.Result` and its input (what
``histdip restore --report`` has in hand); :func:`run_from_files` rebuilds the same from
a run's JSON (``<stem>_histdip.json``) and the files written beside it: the output, the
layers, the snapshots folder, and the photo the record names. The prior drawn on the
input (T, the mask, the grey the histogram shows) is recomputed from the photo with the
run's own settings; it involves no fitting and gives the run's prior again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import HistdipError, InputError
from ..io import named_file, read_image, read_run_record
from ..layers import LAYER_NAMES
from .numbers import counts_of_result, counts_of_run

#: What a snapshot file's name ends in (``<output stem>_iter00050.tif``).
SNAPSHOT_NAME = re.compile(r"_iter(\d+)\.tiff?$")


@dataclass(frozen=True, eq=False)
class Run:
    """One restoration, as a report shows it.

    Attributes
    ----------
    name : str
        The input's file name, for titles.
    image : ndarray
        The input, as read.
    output : ndarray
        The restored image (the primary layer), on the input's scale.
    record : dict
        The run record (:meth:`histdip.Result.record`).
    config : dict
        The settings as run (:meth:`histdip.RestoreConfig.to_dict`).
    prior : histdip.prior.Prior
        The prior drawn on the input: with a learned split, the one that holds it.
    layers : dict of str to ndarray, or None
        ``signal``, ``recording``, ``background`` with a learned split.
    snapshots : tuple of (int, ndarray)
        The output during the fit, by step.
    counts : histdip.count.Counts or None
        The objects counted as ``histdip count`` counts them; None where counting is
        not available.
    notes : tuple of str
        Where things came from, in words (shown on the page).
    """

    name: str
    image: np.ndarray
    output: np.ndarray
    record: dict
    config: dict
    prior: object
    layers: dict | None = None
    snapshots: tuple = ()
    counts: object = None
    notes: tuple = ()


def run_from_result(result, image, *, name="image", pixel_size=None, count=True):
    """The :class:`Run` of a restoration held in memory.

    Parameters
    ----------
    result : histdip.Result
    image : ndarray
        The input that was restored.
    name : str
        The input's file name.
    pixel_size : float, optional
        Micrometres per pixel, for the density of the counted objects.
    count : bool
        Count the objects (:func:`histdip.count.count_result`).
    """
    counts, notes = counts_of_result(result, image, pixel_size=pixel_size) if count else (None, [])
    layers = None if result.layers is None else {k: result.layers[k] for k in LAYER_NAMES}
    return Run(name=name, image=np.asarray(image), output=result.image, record=result.record(),
               config=result.config.to_dict(), prior=result.split_prior or result.prior, layers=layers,
               snapshots=tuple(result.snapshots), counts=counts, notes=tuple(notes))


def _existing(named, what, record_path):
    found = named_file(named, record_path)
    if found is None:
        raise InputError(f"{record_path}: the {what} it names, {named}, is not there (looked beside it too)")
    return found


def _snapshots(folder):
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = SNAPSHOT_NAME.search(path.name)
            if match:
                found.append((int(match.group(1)), path))
    return tuple((step, read_image(path)) for step, path in sorted(found))


def run_from_files(path, *, pixel_size=None, count=True):
    """The :class:`Run` of a restoration saved by ``histdip restore``, from its JSON.

    Parameters
    ----------
    path : path-like
        The run's JSON (``<stem>_histdip.json``).
    pixel_size : float, optional
        Micrometres per pixel (default: from the TIFF's metadata, as ``histdip count``
        reads it).
    count : bool
        Count the objects as ``histdip count RUN.json`` does.

    Raises
    ------
    InputError
        Not a run record, or the photo, output or a layer it names is missing.
    """
    from ..cli.outputs import side_paths
    from ..config.files import config_from_mapping
    from ..pipeline import HistDip

    path = Path(path)
    data = read_run_record(path)
    config = config_from_mapping(data, str(path))
    photo_path = _existing(data["input"], "photo", path)
    image = read_image(photo_path)
    out = path.with_suffix(Path(data["output"]).suffix or ".tif")
    out = out if out.is_file() else _existing(data["output"], "output", path)
    output = read_image(out)
    record = data["run"]
    layers = None
    if record.get("layers"):
        layer_paths = side_paths(out)["layers"]
        layers = {}
        for name in LAYER_NAMES:
            if not layer_paths[name].is_file():
                raise InputError(f"{path}: its {name} layer {layer_paths[name].name} is not beside it")
            layers[name] = read_image(layer_paths[name])
    if output.shape[:2] != image.shape[:2]:
        raise InputError(f"{out}: is {output.shape[1]}x{output.shape[0]} but the photo {photo_path} is "
                         f"{image.shape[1]}x{image.shape[0]}")
    try:
        prep = HistDip(config).prepare(image)
    except HistdipError as err:
        raise type(err)(f"{photo_path}: {err}") from None
    notes = [f"read back from {path.name}: photo {photo_path}, output {out.name}"]
    snapshots = _snapshots(side_paths(out)["snapshots"])
    if snapshots:
        notes.append(f"{len(snapshots)} snapshots from {side_paths(out)['snapshots'].name}/")
    counts = None
    if count:
        counts, more = counts_of_run(path, pixel_size=pixel_size)
        notes.extend(more)
    return Run(name=photo_path.name, image=image, output=output, record=record,
               config=data["histdip_config"], prior=prep.split_prior or prep.prior, layers=layers,
               snapshots=snapshots, counts=counts, notes=tuple(notes))
