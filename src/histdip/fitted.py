"""The paper's validation mode: fit a network on one photo, apply it to others.

:func:`fit_model` fits as :func:`histdip.restore` does and keeps the network;
:func:`apply_model` runs it feed-forward (eval mode: BatchNorm running statistics) on
new images, with no further fitting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from .config import RestoreConfig
from .devices import resolve_device
from .errors import ConfigError, InputError
from .networks import SkipNet
from .restoration import Restoration, _fit, _memory_format, _network_input, _predict, _Prepared, prepare
from .settings import resolve_config


@dataclass
class FittedModel:
    """A network fitted on one image, with the config that made it."""

    net: torch.nn.Module
    config: RestoreConfig
    out_channels: int
    fit_record: dict

    def save(self, path):
        """Write weights, config and fit record to a ``.pt`` file."""
        torch.save(
            {
                "histdip_model": 1,
                "config": self.config.to_dict(),
                "out_channels": self.out_channels,
                "fit_record": self.fit_record,
                "state_dict": self.net.state_dict(),
            },
            path,
        )
        return Path(path)

    @classmethod
    def load(cls, path, device=None):
        """Read a model written by :meth:`save`."""
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise InputError(f"{path}: no such model file") from None
        except Exception as err:  # torch raises many types for a bad file
            detail = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
            raise InputError(f"{path}: not a histdip model file ({detail})") from None
        if not isinstance(data, dict) or data.get("histdip_model") != 1:
            raise InputError(f"{path}: not a histdip model file")
        config = RestoreConfig.validated(**data["config"])
        if device:
            config = config.replace(device=device)
        net = SkipNet(config.input_channels, data["out_channels"], config.network)
        net.load_state_dict(data["state_dict"])
        net = net.to(resolve_device(config.device), memory_format=_memory_format(config))
        return cls(net, config, data["out_channels"], data["fit_record"])


def fit_model(image, config=None, *, progress=False, **overrides):
    """Fit a network on ``image`` (same settings as :func:`histdip.restore`).

    Returns
    -------
    FittedModel
        Its ``fit_record`` holds the threshold, iterations and stop reason.
    """
    config = resolve_config(config, **overrides)
    if config.method == "threshold":
        raise ConfigError("method 'threshold' fits no network; use hist-dip or dip")
    prep, config, why = prepare(image, config)
    t, mask, target = prep.prior(config)
    net, fitted, result, _ = _fit(prep, config, target, mask, progress=progress)
    record = Restoration(None, config, t, mask, result.iterations, result.stop_reason, result.seconds, [], result.loss,
                         prep.background_radius, sample_reason=why).record()
    # The averaged network (when ema is set) is the one restore() predicts with.
    model = fitted if config.output == "eval" else net
    return FittedModel(model, config, 3 if prep.signal.ndim == 3 else 1, record)


def apply_model(model, image):
    """Apply a fitted network feed-forward (eval mode) to a new image.

    Returns
    -------
    ndarray, float32
        Same height and width as ``image``, on its intensity scale.
    """
    if isinstance(model, (str, Path)):
        model = FittedModel.load(model)
    prep = _Prepared(image, model.config)
    expected = 3 if prep.signal.ndim == 3 else 1
    if expected != model.out_channels:
        raise InputError(
            f"model was fitted on {model.out_channels}-channel data, this image gives {expected} "
            f"with channel={model.config.channel!r}"
        )
    device = next(model.net.parameters()).device
    out = _predict(model.net, _network_input(prep, model.config, device), prep, model.config)
    return prep.to_input_units(out)
