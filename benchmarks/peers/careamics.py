"""Noise2Void and CARE peers through CAREamics, run in a separate virtual environment.

CAREamics (https://careamics.github.io, BSD-3-Clause) depends on torch *and*
torchvision; torchvision cannot live in histdip's own environment, so these peers run
:mod:`careamics_runner` (a script next to this file) with a second environment's Python
in a subprocess. Data travel as ``.npy`` files in a temporary folder; every setting is a
command-line argument; nothing from that environment is imported here.

* ``denoise_n2v``: Noise2Void (Krull, Buchholz & Jug, CVPR 2019), self-supervised on
  the image itself (or on ``train_images`` given by the caller).
* ``denoise_care``: CARE (Weigert et al., Nature Methods 2018), supervised on
  (noisy, clean) pairs that the caller supplies, e.g. from histdip's simulator.

Nothing here installs anything. The environment is built by ``make careamics-env``
(benchmarks/careamics-env.mk), which writes :data:`MARKER` into it when ``import
careamics`` works there. It is found at the ``env`` argument, else the
``HISTDIP_CAREAMICS_ENV`` environment variable, else ``.bench-envs/careamics`` at the
root of the checkout; where it is missing the peers are skipped with that instruction.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from histdip.errors import ConfigError

from .contract import check_image, finish

__all__ = [
    "DEFAULT_ENV",
    "ENV_VAR",
    "MARKER",
    "RUNNER",
    "careamics_status",
    "denoise_care",
    "denoise_n2v",
    "env_python",
    "resolve_env",
]

ENV_VAR = "HISTDIP_CAREAMICS_ENV"
#: Where ``make careamics-env`` builds the environment, relative to the checkout's root.
DEFAULT_ENV = ".bench-envs/careamics"
#: Written into the environment by ``make careamics-env`` once ``import careamics`` works.
MARKER = "histdip-careamics.json"
RUNNER = Path(__file__).with_name("careamics_runner.py")
#: What a missing or unfinished environment's reason tells the user to do.
BUILD_HINT = "run `make careamics-env` to build it"

_REPO_ROOT = Path(__file__).resolve().parents[2]


def resolve_env(env: str | os.PathLike | None = None) -> Path:
    """The CAREamics environment's folder: ``env``, else $HISTDIP_CAREAMICS_ENV, else
    :data:`DEFAULT_ENV` under the checkout's root (where make builds it, whatever the
    current directory)."""
    if env is None:
        env = os.environ.get(ENV_VAR) or _REPO_ROOT / DEFAULT_ENV
    return Path(env).expanduser().absolute()


def env_python(env: str | os.PathLike | None = None) -> Path:
    """Path of the Python interpreter inside the CAREamics environment (may not exist)."""
    root = resolve_env(env)
    if os.name == "nt":
        return root / "Scripts" / "python.exe"
    return root / "bin" / "python"


def careamics_status(env: str | os.PathLike | None = None, *,
                     check_import: bool = False) -> tuple[bool, str]:
    """Whether the CAREamics environment looks usable.

    Cheap by default: the interpreter and the marker written by ``make careamics-env``
    must exist. ``check_import=True`` also runs ``import careamics`` there (~10 s).

    Returns
    -------
    (bool, str)
        (True, versions and place) or (False, the reason, saying how to build it).
    """
    root = resolve_env(env)
    if not env_python(root).exists():
        return False, f"no CAREamics environment at {root}: {BUILD_HINT}"
    marker = root / MARKER
    if not marker.exists():
        return False, f"the CAREamics environment at {root} is unfinished (no {MARKER}): {BUILD_HINT}"
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError) as exc:
        return False, f"unreadable marker {marker} ({exc}): {BUILD_HINT}"
    if check_import:
        proc = subprocess.run([str(env_python(root)), "-c", "import careamics, torch"],
                              capture_output=True, text=True, env=_child_env())
        if proc.returncode != 0:
            return False, f"'import careamics' fails in {root}: {proc.stderr.strip()[-500:]}"
    return True, f"careamics {info.get('careamics')} with torch {info.get('torch')} in {root}"


def _child_env(threads: int | None = None) -> dict[str, str]:
    # The child is another interpreter with its own packages: this one's paths must not leak in.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.setdefault("PYTHONHASHSEED", "0")
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
        env["MKL_NUM_THREADS"] = str(threads)
    return env


def _auto_patch(shape: tuple[int, int], patch_size: int | None) -> int:
    if patch_size is not None:
        return int(patch_size)
    p = 64
    while p > 8 and p > min(shape):
        p //= 2
    return p


def _stack(arr, name: str) -> np.ndarray:
    a = np.asarray(arr, dtype=np.float32)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[0] < 1:
        raise ConfigError(f"{name} must be (N, H, W) or (H, W), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ConfigError(f"{name} contains NaN or infinite values")
    return a


def _run(algorithm: str, img: np.ndarray, *, seed: int, env, train_input=None,
         train_target=None, epochs: int, batch_size: int, patch_size: int | None,
         steps: int | None, repeat: int, val_patches: int, depth: int,
         num_channels_init: int, lr: float, n2v2: bool, augment: bool,
         tile_size: int | None, threads: int | None, accelerator: str,
         timeout: float | None, keep_dir: str | None,
         meta: dict | None) -> np.ndarray:
    ok, why = careamics_status(env)
    if not ok:
        raise ConfigError(why)
    py = env_python(env)
    shape_src = train_input.shape[-2:] if train_input is not None else img.shape
    patch = _auto_patch(tuple(shape_src), patch_size)
    if min(shape_src) < patch:
        raise ConfigError(f"patch_size {patch} is larger than the training images "
                          f"{tuple(shape_src)}")
    # CAREamics draws (H//p)*(W//p) patches per image per epoch and holds out
    # val_patches of them: keep at least three quarters for training
    n_train = (train_input.shape[0] if train_input is not None else 1) * max(1, int(repeat))
    n_total = n_train * (shape_src[0] // patch) * (shape_src[1] // patch)
    val_patches = max(1, min(int(val_patches), n_total // 4))
    tmp = tempfile.mkdtemp(prefix=f"histdip-{algorithm}-", dir=keep_dir)
    try:
        d = Path(tmp)
        np.save(d / "input.npy", img.astype(np.float32))
        cmd = [str(py), str(RUNNER), algorithm,
               "--input", str(d / "input.npy"), "--output", str(d / "output.npy"),
               "--work-dir", str(d / "work"), "--meta", str(d / "meta.json"),
               "--epochs", str(int(epochs)), "--batch-size", str(int(batch_size)),
               "--patch-size", str(patch), "--val-patches", str(int(val_patches)),
               "--repeat", str(int(repeat)),
               "--depth", str(int(depth)), "--num-channels-init", str(int(num_channels_init)),
               "--lr", repr(float(lr)), "--seed", str(int(seed)),
               "--accelerator", accelerator]
        if train_input is not None:
            np.save(d / "train_input.npy", train_input)
            cmd += ["--train-input", str(d / "train_input.npy")]
        if train_target is not None:
            np.save(d / "train_target.npy", train_target)
            cmd += ["--train-target", str(d / "train_target.npy")]
        if steps:
            cmd += ["--steps", str(int(steps))]
        if n2v2:
            cmd += ["--n2v2"]
        if not augment:
            cmd += ["--no-augment"]
        if tile_size:
            cmd += ["--tile-size", str(int(tile_size))]
        if threads:
            cmd += ["--threads", str(int(threads))]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, timeout=timeout,
                              env=_child_env(threads))
        wall = time.perf_counter() - t0
        if proc.returncode != 0 or not (d / "output.npy").exists():
            tail = "\n".join(proc.stderr.strip().splitlines()[-30:])
            raise RuntimeError(f"CAREamics {algorithm} run failed (exit {proc.returncode}):\n"
                               f"{tail}")
        out = np.load(d / "output.npy")
        if meta is not None:
            try:
                meta.update(json.loads((d / "meta.json").read_text()))
            except (OSError, ValueError):
                pass
            meta["seconds_wall"] = round(wall, 3)
        return out
    finally:
        if keep_dir is None:
            shutil.rmtree(tmp, ignore_errors=True)


def denoise_n2v(image, *, seed: int = 0, train_images=None, epochs: int = 30,
                batch_size: int = 16, patch_size: int | None = None,
                steps: int | None = None, repeat: int = 4, val_patches: int = 8,
                depth: int = 2, num_channels_init: int = 32, lr: float = 4e-4,
                n2v2: bool = False,
                augment: bool = True, tile_size: int | None = None,
                threads: int | None = None, accelerator: str = "cpu",
                env: str | os.PathLike | None = None, timeout: float | None = None,
                keep_dir: str | None = None, meta: dict | None = None) -> np.ndarray:
    """Noise2Void via CAREamics: train on the image itself, then predict it.

    CAREamics' defaults otherwise: U-Net depth 2 with 32 initial channels, 64x64
    patches (``patch_size`` None: 64, halved until it fits the image), blind-spot
    masking of 0.2 % of pixels in an 11x11 neighbourhood, Adam with
    ReduceLROnPlateau, mean/std normalisation, flips + 90-degree rotations
    (``augment=False`` disables), ``val_patches`` patches held out for validation.
    Changed from CAREamics' defaults: ``lr`` 4e-4 (the original N2V's value;
    CAREamics uses 1e-4) and ``repeat=4``: CAREamics draws (H/patch)*(W/patch) random
    patches per image per epoch, so one 256x256 image gives only 16 patches (8 after
    the validation split); ``repeat`` stacks the image that many times to get more
    steps per epoch. An epoch thus has about ``(repeat*H*W/patch^2 - val_patches) /
    batch_size`` steps.
    ``train_images``: optional (N, H, W) noisy images to train on instead.
    ``n2v2=True`` uses N2V2 (Hoeck et al. 2022). ``seed`` -> CAREamics seed
    ``seed + 1`` (it requires > 0), plus torch/NumPy seeds in the runner;
    Lightning runs with ``deterministic=True``.
    ``meta``: pass a dict to receive versions, timings and final losses.
    Raises :class:`histdip.ConfigError` when the CAREamics env is missing.
    """
    img = check_image(image)
    train = _stack(train_images, "train_images") if train_images is not None else None
    out = _run("n2v", img, seed=seed, env=env, train_input=train, epochs=epochs,
               batch_size=batch_size, patch_size=patch_size, steps=steps, repeat=repeat,
               val_patches=val_patches, depth=depth, num_channels_init=num_channels_init,
               lr=lr, n2v2=n2v2, augment=augment, tile_size=tile_size, threads=threads,
               accelerator=accelerator, timeout=timeout, keep_dir=keep_dir, meta=meta)
    return finish(out, img.shape)


def denoise_care(image, *, seed: int = 0, train_noisy=None, train_clean=None,
                 epochs: int = 30, batch_size: int = 16, patch_size: int | None = None,
                 steps: int | None = None, repeat: int = 1, val_patches: int = 8,
                 depth: int = 2, num_channels_init: int = 32, lr: float = 4e-4,
                 augment: bool = True,
                 tile_size: int | None = None, threads: int | None = None,
                 accelerator: str = "cpu", env: str | os.PathLike | None = None,
                 timeout: float | None = None, keep_dir: str | None = None,
                 meta: dict | None = None) -> np.ndarray:
    """CARE via CAREamics: supervised U-Net trained on (``train_noisy``, ``train_clean``).

    Both are required, same shape, (N, H, W) or (H, W), on the same [0, 1] scale as
    ``image`` (e.g. pairs from histdip's simulator). Same network/optimiser defaults
    and seeding as :func:`denoise_n2v`; the loss is MAE (CAREamics' CARE default).
    """
    img = check_image(image)
    if train_noisy is None or train_clean is None:
        raise ConfigError("CARE is supervised: pass train_noisy and train_clean "
                          "((N, H, W) arrays of noisy inputs and clean targets)")
    tx, ty = _stack(train_noisy, "train_noisy"), _stack(train_clean, "train_clean")
    if tx.shape != ty.shape:
        raise ConfigError(f"train_noisy {tx.shape} and train_clean {ty.shape} differ in shape")
    out = _run("care", img, seed=seed, env=env, train_input=tx, train_target=ty,
               epochs=epochs, batch_size=batch_size, patch_size=patch_size, steps=steps,
               repeat=repeat, val_patches=val_patches, depth=depth,
               num_channels_init=num_channels_init, lr=lr, n2v2=False, augment=augment,
               tile_size=tile_size, threads=threads, accelerator=accelerator,
               timeout=timeout, keep_dir=keep_dir, meta=meta)
    return finish(out, img.shape)
