"""Choosing the torch device from a setting (cpu, cuda, cuda:N, mps, auto)."""

from __future__ import annotations

import torch

from .errors import ConfigError


def resolve_device(name="cpu"):
    """A :class:`torch.device` for ``name``; a clear error when it is not present."""
    has_mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if has_mps else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(
                "device cuda asked for, but this torch has no usable CUDA "
                f"(torch {torch.__version__}); install a CUDA build of torch or use --device cpu"
            )
        index = int(name.split(":", 1)[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise ConfigError(f"device {name} asked for, but only {torch.cuda.device_count()} CUDA device(s) exist")
    if name == "mps" and not has_mps:
        raise ConfigError("device mps asked for, but Apple's Metal backend is not available here")
    return torch.device(name)
