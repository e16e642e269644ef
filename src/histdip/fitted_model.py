"""The paper's validation mode: fit a network on one photo, apply it to others.

:func:`fit_model` fits as :func:`histdip.restore` does and keeps the network;
:func:`apply_model` runs it feed-forward (eval mode: BatchNorm running statistics) on
new images, with no further fitting. :class:`FittedModel` saves and loads it, and is
also a warm start: ``HistDip.restore(image, warm_start=model)`` fits from its weights
(a series of photos from one device, the planes of a stack).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from .config import RestoreConfig
from .config.files import SCHEMA_VERSION, config_from_mapping
from .errors import ConfigError, InputError
from .pipeline import HistDip
from .problem import build_network, network_input, padding_for, predict_image

#: Version of the model file this histdip writes.
MODEL_FILE_VERSION = 2


@dataclass(frozen=True, eq=False)
class FittedModel:
    """A network fitted on one image, with the config and run record that made it."""

    net: torch.nn.Module
    config: RestoreConfig
    out_channels: int
    fit_record: dict
    #: The image the network was fitted on, in words (a file name), where known.
    source: str | None = None

    @classmethod
    def from_result(cls, result, *, source=None):
        """The network a :class:`~histdip.result.Result` predicted with, as a model."""
        if result.fit is None:
            raise ConfigError("method 'threshold' fits no network; there is no model to keep")
        net = result.fit.model if result.config.output == "eval" else result.fit.net
        return cls(net, result.config, net.out_channels, result.record(), source)

    def describe(self):
        """What a run record says of a fit started from this model."""
        return {"source": self.source, "iterations": self.fit_record.get("iterations")}

    def start(self, net, config):
        """Copy this model's weights into ``net``, a fresh network built for ``config``.

        Raises
        ------
        ConfigError
            When the two networks differ (another architecture, input or colour).
        """
        mine = self.config
        same = (mine.network == config.network and mine.input_channels == config.input_channels
                and self.out_channels == net.out_channels)
        if not same:
            raise ConfigError(f"the warm start{f' from {self.source}' if self.source else ''} was fitted with "
                              "another network, input or number of colour channels; a series must share them")
        state = {k: v.to(next(net.parameters()).device) for k, v in self.net.state_dict().items()}
        net.load_state_dict(state)

    def save(self, path):
        """Write weights, config and fit record to a ``.pt`` file."""
        torch.save(
            {
                "histdip_model": MODEL_FILE_VERSION,
                "histdip_config_version": SCHEMA_VERSION,
                "histdip_config": self.config.to_dict(),
                "out_channels": self.out_channels,
                "fit_record": self.fit_record,
                "state_dict": self.net.state_dict(),
                "source": self.source,
            },
            path,
        )
        return Path(path)

    @classmethod
    def load(cls, path, device=None):
        """Read a model written by :meth:`save` (or by an older histdip)."""
        path = Path(path)
        if path.is_dir():
            raise InputError(f"{path}: is a folder, not a model file")
        if path.exists() and path.stat().st_size == 0:
            raise InputError(f"{path}: file is empty (0 bytes)")
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise InputError(f"{path}: no such model file") from None
        except Exception as err:  # torch raises many types for a bad file
            detail = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
            raise InputError(f"{path}: not a histdip model file ({detail})") from None
        version = data.get("histdip_model") if isinstance(data, dict) else None
        if version not in (1, MODEL_FILE_VERSION):
            raise InputError(f"{path}: not a histdip model file")
        # Version 1 kept the config (schema 1) under "config".
        mapping = {"histdip_config": data["config"]} if version == 1 else data
        config = config_from_mapping(mapping, str(path))
        if device:
            config = config.replace(device=device)
        net = build_network(config.input_channels, data["out_channels"], config.network, device=config.device,
                            channels_last=config.channels_last)
        net.load_state_dict(data["state_dict"])
        return cls(net, config, data["out_channels"], data["fit_record"], data.get("source"))


def fit_model(image, config=None, *, progress=False, **overrides):
    """Fit a network on ``image`` (same settings as :func:`histdip.restore`).

    Returns
    -------
    FittedModel
        Its ``fit_record`` is the run record (threshold, iterations, stop reason...).
    """
    runner = HistDip(config, **overrides)
    if runner.config.method == "threshold":
        raise ConfigError("method 'threshold' fits no network; use hist-dip or dip")
    result, problem = runner.fit(image, progress=progress)
    # The network restore() predicts with: the fitted (averaged) one, or the last iterate.
    net = result.fit.model if result.config.output == "eval" else result.fit.net
    return FittedModel(net, result.config, problem.net.out_channels, result.record())


def apply_model(model, image):
    """Apply a fitted network feed-forward (eval mode) to a new image.

    Returns
    -------
    ndarray, float32
        Same height and width as ``image``, on its intensity scale.
    """
    if isinstance(model, (str, Path)):
        model = FittedModel.load(model)
    c = model.config
    prep = HistDip(c).prepare(image)
    channels = 3 if prep.planes.recorded.ndim == 3 else 1
    if channels != model.out_channels:
        raise InputError(f"model was fitted on {model.out_channels}-channel data, this image gives {channels} "
                         f"with channel={c.channel!r}")
    device = next(model.net.parameters()).device
    amounts = padding_for(prep.planes.shape, c.network, c.physics)
    x = network_input(prep.prior.grey, amounts, kind=c.input, channels=c.input_channels, seed=c.seed,
                      device=str(device), channels_last=c.channels_last)
    # The network answers at the gain it was fitted at (records older than the gain: 1).
    out = predict_image(model.net, x, amounts, tile=c.tile, ensemble=c.ensemble) / model.fit_record.get("target_gain", 1.0)
    # A dark (brightfield) fit is of the inverted planes: back to the image's own way up.
    return prep.planes.from_unit(out, offset=prep.prior.background == "none")
