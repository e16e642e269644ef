"""Memory: what a restoration will need, what it may use, and what to do in between.

Before a fit, :func:`plan_memory` compares :func:`estimate_memory` (the memory the
restoration adds to what the process holds) with :func:`memory_budget` (``max_memory``,
or by default what the machine and the process's own limits leave). Above the budget it
lowers the settings that save memory without changing the method: the prediction's tile
(``tile``) first, then the crops the fit sees (``patch_size``); the settings as run and
what was changed go into the run record. Where those are not enough it raises
:class:`~histdip.errors.MemoryBudgetError`, one line naming the estimate, the budget and
what to change, rather than letting the process be killed half way.

>>> parse_size("2G"), parse_size("500M"), parse_size(1024)
(2147483648, 524288000, 1024)
>>> format_size(3 * 2**29)
'1.5 GiB'
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError, MemoryBudgetError

#: Binary units of :func:`parse_size` (``2G`` is 2 GiB, as ``ulimit`` and Docker read it).
UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}

# The constants of the estimate, fitted to the peak resident memory a restoration adds
# (:func:`measure_memory`: the bundled photo resized, a new process each, one at a time,
# 2-core x86-64, torch 2.13 CPU, OMP_NUM_THREADS=1, 3 steps of the default stopping rule:
# memory does not grow with steps). Each names the runs it comes from; the table and the
# command: docs/reliability.md ("Memory").

#: Bytes any restoration adds whatever the image's size: torch's kernels paged in, the
#: allocator's arenas, the fit's fixed costs. The intercept of the runs below (70 MiB).
BASE_BYTES = 70 * 2**20

#: Bytes per input pixel at the peak of the stages before the fit (planes, the
#: background's envelope, the split, the noise), whose peaks lie there with 256-pixel
#: prediction tiles: colour 1024 x 1024 and 2048 x 1536 (147 and 311 MiB), grey
#: 2048 x 1536 (332 MiB).
PREPARE_BYTES = {"colour": 86, "grey": 88}

#: Bytes per input pixel held through the fit and the prediction (planes, prior, target,
#: padded copies, the network's input and output, the layers), with
#: :data:`PREDICT_BYTES`: colour 1024 x 1024 and 2048 x 1536 predicted in 1024-pixel
#: tiles (476 and 593 MiB); grey the same (497 and 691 MiB). Grey holds more, most
#: likely because its primary layer is the recording, whose layers take an envelope of
#: the output after the prediction.
HOLD_BYTES = {"colour": 61, "grey": 80}

#: Bytes per input pixel of each further fitted plane (``channel='rgb'``: three): its
#: signal, target, recorded plane, output and layers in float32; counted, not measured.
PLANE_BYTES = 32

#: Bytes per element that :func:`activation_elements` counts as kept for the backward
#: pass, per pixel of a step's crops: float32 values, their gradients made on the way
#: back, the allocator's slack. One forward and backward pass alone, fresh process: the
#: fast network on 512 x 512 (157 MiB, 6.3 B) and the paper's on 256 x 256 (444 MiB, 5.2 B).
TRAIN_BYTES = 6.0

#: Bytes per element that :func:`activation_elements` counts as made, per pixel of a
#: prediction's tile (no gradients: tensors freed as the network moves on): colour
#: 1024 x 1024 and 2048 x 1536 in 1024-pixel tiles against 256-pixel ones (2.36 B).
PREDICT_BYTES = 2.4

#: Prediction tiles and fit crops :func:`plan_memory` tries, largest first.
TILE_STEPS = (1024, 512, 256, 128)
PATCH_STEPS = (256, 128, 64)

#: The source of a budget given as ``max_memory`` (``--max-memory``).
GIVEN = "--max-memory"

#: Where the process's cgroup is named, and where cgroups are mounted.
CGROUP_FILE = Path("/proc/self/cgroup")
CGROUP_ROOT = Path("/sys/fs/cgroup")

#: cgroup v1 writes "no limit" as a number near 2**63.
_NO_LIMIT = 2**60


def parse_size(value):
    """A memory size in bytes from ``2G``, ``500M``, ``1.5GiB``, ``64k`` or a number of bytes.

    Units are powers of 1024 (K, M, G, T, with or without ``B`` or ``iB``).

    Raises
    ------
    ConfigError
        Not a size, or not positive.
    """
    if isinstance(value, bool):
        raise ConfigError(f"memory size must be a number of bytes or like 2G or 500M, got {value!r}")
    if isinstance(value, (int, float)):
        number, unit = float(value), ""
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][0-9]+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", str(value))
        if match is None:
            raise ConfigError(f"memory size must be a number of bytes or like 2G or 500M, got {value!r}")
        number, unit = float(match.group(1)), match.group(2).lower()
    size = number * UNITS[unit]
    if not 0 < size < 2**63:
        raise ConfigError(f"memory size must be positive, got {value!r}")
    return int(size)


def format_size(size):
    """``size`` bytes for people: ``1.5 GiB``, ``300 MiB``."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{int(size)} B"


def activation_elements(network, in_channels, out_channels, *, kept=False):
    """Elements of the tensors one forward pass of the skip network makes, per pixel of
    its input (:class:`histdip.networks.SkipNet`, counted from its layers); ``kept``:
    only those autograd keeps for the backward pass.

    Per scale ``i`` (a quarter of the area of the one above): the mirrored input, the
    skip branch, the upsampled deeper branch, the concatenation and its mirrored copy,
    the two convolutions of the merge, and at the coarser scale the two convolutions
    of the deeper branch and the mirrored copy between them; a normalisation adds one
    tensor after each convolution (LeakyReLU works in place and adds none). The
    upsampled branch and the concatenation are not kept: the convolution after keeps
    its mirrored copy.

    >>> from histdip.config import NetworkConfig
    >>> round(activation_elements(NetworkConfig(), 1, 1)), round(activation_elements(NetworkConfig(), 1, 1, kept=True))
    (147, 100)
    """
    norm = 0 if network.norm == "none" else 1
    down, up, skip = network.channels_down, network.channels_up, network.channels_skip
    total = float(in_channels)
    for i in range(len(down)):
        area = 4.0**-i
        cin = in_channels if i == 0 else down[i - 1]
        from_inner = down[i] if i == len(down) - 1 else up[i + 1]
        merged = skip[i] + from_inner
        if kept:
            total += area * (cin + (skip[i] + merged + 2 * up[i]) * (1 + norm)) + area / 4 * down[i] * (3 + 2 * norm)
        else:
            total += area * (cin + skip[i] * (1 + norm) + from_inner + merged * (2 + norm) + 2 * up[i] * (1 + norm))
            total += area / 4 * down[i] * (3 + 2 * norm)
    return total + 2 * out_channels


@dataclass(frozen=True)
class MemoryEstimate:
    """What a restoration is estimated to add to the process's memory, in bytes.

    ``total`` is ``base + max(prepare, held + max(fit, predict))``: the stages before
    the fit peak on their own; the arrays they hand on are held through the fit and the
    prediction, and the fit's activations are freed before the prediction's are made.
    """

    total: int
    base: int
    prepare: int
    held: int
    fit: int
    predict: int

    def to_dict(self):
        return {"total": self.total, "base": self.base, "prepare": self.prepare, "held": self.held,
                "fit": self.fit, "predict": self.predict}


def _padded(shape, config):
    multiple = math.lcm(config.network.multiple, config.physics.factor)
    margin = 2 * config.network.margin
    return tuple(-(-(side + margin) // multiple) * multiple for side in shape[:2])


def estimate_memory(shape, config, *, predict=True):
    """The memory a restoration of an image of ``shape`` with ``config`` adds to the process.

    Parameters
    ----------
    shape : tuple
        The input's shape, (H, W) or (H, W, C).
    config : RestoreConfig
        The settings (:func:`histdip.config.resolve_config`).
    predict : bool
        Whether the whole image is predicted after the fit (False: a fit alone,
        :meth:`histdip.HistDip.fit`).

    Returns
    -------
    MemoryEstimate

    Notes
    -----
    Measured constants applied to counted sizes (``n`` the input's pixels):

    * prepare: ``n`` times :data:`PREPARE_BYTES`, the peak of the stages before the fit;
    * held: ``n`` times :data:`HOLD_BYTES`, plus :data:`PLANE_BYTES` per further
      fitted plane, the network's input beyond its first channel (4 bytes a padded
      pixel each) and an ensemble's turned copies;
    * fit: :func:`activation_elements` (kept) times the pixels of one step's crops
      (``batch_size`` x ``patch_size`` squared, or the padded image) times
      :data:`TRAIN_BYTES`, or the stopping rule's check on its window, whichever is
      larger, plus the optimiser's copies of the weights;
    * predict: :func:`activation_elements` (made) times the pixels of one tile
      (``tile``; the whole padded image for ``tile=None`` or ``output='last'``, which
      runs the network once on all of it) times :data:`PREDICT_BYTES`.

    The constants come from the peak resident memory :func:`measure_memory` reads
    (``VmHWM``, reset just before the restoration) in new processes, on the sizes each
    names; on sizes and settings they were not fitted on, the estimate lay within a
    factor of 1.25 of the measured peak (docs/reliability.md; tests/test_memory.py
    checks two within 1.5). Not counted: snapshots (``snapshots=``) and a report's
    pictures, each a copy of the output, and the input array, which the caller holds.
    """
    c = config
    h, w = shape[:2]
    n = h * w
    kind = "colour" if len(shape) == 3 and shape[2] > 1 else "grey"
    prepare = n * PREPARE_BYTES[kind]
    held = n * HOLD_BYTES[kind]
    if c.method == "threshold":
        return MemoryEstimate(BASE_BYTES + max(prepare, held), BASE_BYTES, prepare, held, 0, 0)
    out_channels = 3 if kind == "colour" and str(c.channel).lower() == "rgb" else 1
    ph, pw = _padded(shape, c)
    padded = ph * pw
    held += n * PLANE_BYTES * (out_channels - 1) + padded * 4 * (c.input_channels - 1)
    if predict and c.ensemble > 1:
        held += padded * 4 * (c.input_channels + 2 * out_channels)
    made = activation_elements(c.network, c.input_channels, out_channels)
    kept = activation_elements(c.network, c.input_channels, out_channels, kept=True)
    whole = not (c.patch_size and (ph > c.patch_size or pw > c.patch_size))
    crop = padded if whole else min(c.patch_size, ph) * min(c.patch_size, pw) * c.batch_size
    # The stopping rule predicts a window between steps (histdip.problem): crops * patch a side.
    crops = 2 if c.stopping.rule == "noise-level" else 4
    probe = 0 if c.stopping.rule == "fixed" else (
        min(crops * c.patch_size, ph) * min(crops * c.patch_size, pw) if c.patch_size else padded)
    # Weights, gradients, Adam's two moments, the average and the best check's copy.
    weights = 6 * 4 * _parameters(c.network, c.input_channels, out_channels)
    fit = int(max(TRAIN_BYTES * kept * crop, PREDICT_BYTES * made * probe)) + weights
    pred = 0
    if predict:
        if c.output == "last" or c.tile is None:
            tile = padded
        else:
            side = max(c.network.multiple, c.tile - c.tile % c.network.multiple)
            tile = min(side, ph) * min(side, pw)
        pred = int(PREDICT_BYTES * made * tile)
    total = BASE_BYTES + max(prepare, held + max(fit, pred))
    return MemoryEstimate(int(total), BASE_BYTES, int(prepare), int(held), fit, pred)


def _parameters(network, in_channels, out_channels):
    """About the number of weights of the skip network (its 3 x 3 convolutions)."""
    down, up, skip = network.channels_down, network.channels_up, network.channels_skip
    total = out_channels * up[0]
    for i in range(len(down)):
        cin = in_channels if i == 0 else down[i - 1]
        from_inner = down[i] if i == len(down) - 1 else up[i + 1]
        total += 9 * (cin * down[i] + down[i] * down[i] + (skip[i] + from_inner) * up[i]) + cin * skip[i] + up[i] ** 2
    return total


@dataclass(frozen=True)
class MemoryBudget:
    """How much memory a restoration may add, in bytes, and what set it (in words)."""

    bytes: int
    source: str

    def to_dict(self):
        return {"bytes": self.bytes, "source": self.source}


def memory_budget(max_memory=None):
    """The memory a restoration may add to what this process holds now.

    Parameters
    ----------
    max_memory : int, str or None
        A size (:func:`parse_size`: bytes, ``2G``, ``500M``): the budget itself.
        None: the smallest of what is left under

        * the machine's available memory (``MemAvailable`` of ``/proc/meminfo``, or
          psutil's elsewhere);
        * the process's soft ``RLIMIT_AS`` less its address space (``VmSize``), and
          its soft ``RLIMIT_DATA`` less its data segment (``VmData``);
        * its cgroup's ``memory.max`` (v2; ``memory.limit_in_bytes`` for v1) less its
          ``memory.current`` (``memory.usage_in_bytes``).

    Returns
    -------
    MemoryBudget
        With ``source``, which of those set it, in words (:data:`GIVEN` for
        ``max_memory``). Where none can be read the budget is unlimited
        (``2**63 - 1``, source ``unknown``).
    """
    if max_memory is not None:
        return MemoryBudget(parse_size(max_memory), GIVEN)
    found = []
    available = _available_memory()
    if available is not None:
        found.append((available, "the machine's available memory"))
    found += _rlimit_room()
    cgroup = _cgroup_room()
    if cgroup is not None:
        found.append(cgroup)
    if not found:
        return MemoryBudget(2**63 - 1, "unknown")
    size, source = min(found)
    return MemoryBudget(int(size), source)


def _rlimit_room():
    """(bytes left, source) under the soft RLIMIT_AS and RLIMIT_DATA that are set."""
    try:
        import resource
    except ImportError:  # not on Windows
        return []
    status, found = _proc_status(), []
    for name, used in (("RLIMIT_AS", "VmSize"), ("RLIMIT_DATA", "VmData")):
        soft, _ = resource.getrlimit(getattr(resource, name))
        if soft != resource.RLIM_INFINITY and used in status:
            found.append((max(0, soft - status[used]), f"left under the process's {name} of {format_size(soft)}"))
    return found


def _proc_status():
    """``/proc/self/status``'s Vm* lines in bytes; empty off Linux."""
    try:
        with open("/proc/self/status") as status:
            return {k: int(v.split()[0]) * 1024 for k, v in (line.split(":", 1) for line in status)
                    if k.startswith("Vm")}
    except OSError:
        return {}


def _available_memory():
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def _cgroup_room():
    """(bytes left, source) under this process's cgroup memory limit; None without one."""
    try:
        lines = CGROUP_FILE.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            folder, files, name = CGROUP_ROOT / path.lstrip("/"), ("memory.max", "memory.current"), "v2"
            if not (folder / files[0]).exists():  # a namespace shows its own cgroup at the root
                folder = CGROUP_ROOT
        elif "memory" in controllers.split(","):
            folder = CGROUP_ROOT / "memory" / path.lstrip("/")
            files, name = ("memory.limit_in_bytes", "memory.usage_in_bytes"), "v1"
            if not (folder / files[0]).exists():
                folder = CGROUP_ROOT / "memory"
        else:
            continue
        try:
            limit = (folder / files[0]).read_text().strip()
            used = int((folder / files[1]).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit == "max" or not limit.isdigit() or int(limit) >= _NO_LIMIT:
            continue
        # The usage counts the page cache, which the kernel drops before it kills: the
        # inactive part of it is room (the working set, as docker and the kubelet count it).
        used -= _cgroup_stat(folder / "memory.stat", "inactive_file" if name == "v2" else "total_inactive_file")
        return max(0, int(limit) - used), f"left under the cgroup's {files[0]} ({name}) of {format_size(int(limit))}"
    return None


def _cgroup_stat(path, key):
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


@dataclass(frozen=True)
class MemoryPlan:
    """A restoration's memory: the settings it runs with, their estimate and the budget.

    ``changed`` maps each setting lowered to fit the budget to ``(asked, used)``;
    ``config`` is the settings as run (the asked ones where nothing changed).
    """

    config: object
    estimate: MemoryEstimate
    budget: MemoryBudget
    changed: dict = field(default_factory=dict)

    def record(self):
        """The plan for the run record."""
        return {"estimate": self.estimate.total, "estimate_parts": self.estimate.to_dict(),
                "budget": self.budget.bytes, "budget_source": self.budget.source,
                "changed": {k: {"asked": a, "used": u} for k, (a, u) in self.changed.items()}}


def plan_memory(shape, config, *, predict=True, budget=None):
    """The settings a restoration of ``shape`` runs with inside its memory budget.

    Parameters
    ----------
    shape : tuple
        The input's shape, (H, W) or (H, W, C).
    config : RestoreConfig
        The settings asked for; its ``max_memory`` is the budget (None: the default of
        :func:`memory_budget`).
    predict : bool
        Whether the whole image is predicted after the fit.
    budget : MemoryBudget, optional
        The budget, if already known (tests); else :func:`memory_budget`.

    Returns
    -------
    MemoryPlan
        ``config`` itself where its estimate fits; else a copy with a smaller ``tile``
        (prediction in tiles of the same network: the same output away from the tiles'
        seams, :func:`histdip.predict.predict`) and, if that is not enough, a smaller
        ``patch_size`` (the fit on crops of the image), the largest that fit.

    Raises
    ------
    MemoryBudgetError
        Where even the smallest tile and crop do not fit: the estimate, the budget and
        what to change, in one line.
    """
    budget = budget or memory_budget(config.max_memory)
    estimate = estimate_memory(shape, config, predict=predict)
    if estimate.total <= budget.bytes:
        return MemoryPlan(config, estimate, budget)
    for changes in _levers(shape, config, predict):
        trial = config.replace(**changes)
        trial_estimate = estimate_memory(shape, trial, predict=predict)
        if trial_estimate.total <= budget.bytes:
            changed = {k: (getattr(config, k), v) for k, v in changes.items()}
            return MemoryPlan(trial, trial_estimate, budget, changed)
    raise MemoryBudgetError(_refusal(shape, config, estimate, budget, predict))


def _levers(shape, config, predict):
    """Changes that lower the estimate without changing the method, least change first."""
    ph, pw = _padded(shape, config)
    side = max(ph, pw)
    tiles = [None]
    if predict and config.output == "eval" and config.method != "threshold":
        tiles += [t for t in TILE_STEPS if t < min(config.tile or side, side) and t >= config.network.multiple]
    patches = [None]
    if config.method != "threshold":
        asked = config.patch_size or side
        patches += [p for p in PATCH_STEPS if p < min(asked, side) and p >= max(32, config.network.multiple)]
    for patch in patches:
        for tile in tiles:
            changes = {}
            if tile is not None:
                changes["tile"] = tile
            if patch is not None:
                changes["patch_size"] = patch
            if changes:
                yield changes


def _refusal(shape, config, estimate, budget, predict):
    h, w = shape[:2]
    least = estimate
    for changes in _levers(shape, config, predict):
        trial = estimate_memory(shape, config.replace(**changes), predict=predict)
        least = trial if trial.total < least.total else least
    if least.base + max(least.prepare, least.held) > budget.bytes:
        what = ("restore a crop, or save the image as OME-Zarr and run `histdip restore IMAGE.ome.zarr`, which "
                "restores it tile by tile")
    else:
        what = ("fit a smaller network or on crops (--preset fast), or save the image as OME-Zarr and run "
                "`histdip restore IMAGE.ome.zarr`")
    smallest = "" if least is estimate else f" ({format_size(least.total)} in the smallest tiles and crops)"
    room = (f"--max-memory allows {format_size(budget.bytes)}" if budget.source == GIVEN else
            f"{format_size(budget.bytes)} is free ({budget.source})")
    return (f"a {h} x {w} restoration needs about {format_size(estimate.total)}{smallest} but {room}: {what}, "
            "or allow more with --max-memory SIZE")


#: The child process of :func:`measure_memory`.
_CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    from PIL import Image
    import histdip
    from importlib.resources import files
    shape, settings, predict = json.loads(sys.argv[1])
    photo = np.asarray(Image.open(files("histdip") / "data" / "sample_beads.png").convert("RGB"))
    photo = np.asarray(Image.fromarray(photo).resize((shape[1], shape[0]), Image.BICUBIC))
    if len(shape) == 2:
        photo = photo[..., 1].copy()
    def status(key):
        return next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith(key))
    before = status("VmRSS")
    open("/proc/self/clear_refs", "w").write("5")  # VmHWM from here on
    runner = histdip.HistDip(**settings)
    result = runner.restore(photo) if predict else runner.fit(photo)[0]
    print(json.dumps({"before": before, "peak": status("VmHWM"), "seconds": result.seconds}))
""")


def measure_memory(shape, *, predict=True, timeout=600, **settings):
    """The peak resident memory a restoration adds, measured in a new process (Linux).

    The bundled sample photo resized to ``shape`` ((H, W): its green plane; (H, W, 3):
    colour) is restored with ``settings`` (:class:`~histdip.HistDip`'s overrides); the
    child reads its resident memory (``VmRSS``) after making the photo, resets its peak
    (``/proc/self/clear_refs``) and reads the peak (``VmHWM``) after the restoration.

    Returns
    -------
    dict
        ``added`` (peak less the memory held before, bytes), ``peak``, ``before``,
        ``seconds``.

    Examples
    --------
    The calibration of :func:`estimate_memory` (one process at a time; the peaks of
    docs/reliability.md)::

        for shape in [(512, 512, 3), (1024, 1024, 3), (2048, 1536, 3), (1024, 1024), (2048, 1536)]:
            for tile in (256, 1024):
                print(shape, tile, measure_memory(shape, iterations=3, tile=tile)["added"] / 2**20)
        print(measure_memory((256, 256, 3), preset="paper", iterations=2)["added"] / 2**20)
    """
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps([list(shape), settings, predict])],
                          capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"the measuring process failed: {done.stderr.strip()[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {**report, "added": report["peak"] - report["before"]}
