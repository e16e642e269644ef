"""The fitting problem of one image: network, its input, forward model with noise,
target, sampler and stopping rule, put together once (the stage before the fit).

:func:`build_problem` returns an immutable :class:`Problem`; :func:`histdip.fit.fit`
runs it and :meth:`Problem.predict` makes the whole-image output of the fitted network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .devices import resolve_device
from .fit import Leash, NoiseLevelStopper, PlateauStopper, RandomCrops, WholeImage, fit, probe_window
from .networks import SkipNet
from .noise import GaussianNoise
from .physics import build_physics
from .predict import predict_eval
from .tensors import pad, pad_amounts, to_array, to_tensor, unpad


def padding_for(shape, network, physics):
    """Mirror padding (top, bottom, left, right) that fits ``shape`` to the network
    (one halving per scale) and the forward model's factor."""
    return pad_amounts(shape, math.lcm(network.multiple, physics.factor), network.margin)


def memory_format(channels_last):
    # Same arithmetic, activations stored pixel by pixel: faster convolutions on CPUs.
    # A fitted network applied later must use the same layout, or it differs in the
    # last bits (a different convolution kernel).
    return torch.channels_last if channels_last else torch.contiguous_format


def build_network(in_channels, out_channels, network, *, device="cpu", channels_last=False):
    """The skip network of ``network`` (a :class:`~histdip.config.NetworkConfig`) on
    ``device``, initialised from torch's current seed."""
    net = SkipNet(in_channels, out_channels, network).to(resolve_device(device))
    return net.to(memory_format=memory_format(channels_last))


def network_input(grey, amounts, *, kind="image", channels=1, seed=0, device="cpu", channels_last=False):
    """What the network sees: the padded grey (0-255 scale divided by 255) repeated to
    ``channels`` (``kind='image'``, the paper's), or Ulyanov's random code (``noise``)."""
    device = resolve_device(device)
    if kind == "image":
        x = to_tensor(pad(grey / 255.0, amounts), device).repeat(1, channels, 1, 1)
    else:
        g = torch.Generator().manual_seed(seed)
        h, w = pad(grey, amounts).shape
        x = (0.1 * torch.rand((1, channels, h, w), generator=g)).to(device)
    return x.contiguous(memory_format=memory_format(channels_last))


def predict_image(model, net_input, amounts, *, tile=None, ensemble=1):
    """The output of ``model`` on the padded ``net_input`` in eval mode (tiles of
    ``tile``, a flip/turn ensemble of ``ensemble``), as an array with the padding
    ``amounts`` removed."""
    return unpad(to_array(predict_eval(model, net_input, tile=tile, ensemble=ensemble)), amounts)


@dataclass(frozen=True, eq=False)
class Problem:
    """Everything one fit needs; see :func:`build_problem`."""

    net: torch.nn.Module
    net_input: torch.Tensor
    physics: torch.nn.Module
    sampler: object
    stopper: object
    check: object
    amounts: tuple
    tile: int | None = None
    ensemble: int = 1
    last_iterate: bool = False
    preview_step: bool = False
    leash: Leash | None = None

    def predict(self, model):
        """The whole-image output of ``model`` in eval mode, padding removed."""
        return predict_image(model, self.net_input, self.amounts, tile=self.tile, ensemble=self.ensemble)

    def preview(self, model, step_output):
        """The current output, for snapshots: the step's own output where every step
        fits the whole image and the paper's last iterate is wanted, else a prediction."""
        if self.preview_step:
            return unpad(to_array(step_output), self.amounts)
        return self.predict(model)

    def run(self, *, iterations, lr, ema=None, snapshot_every=0, progress=False, callback=None):
        """Fit the network (:func:`histdip.fit.fit`, whose ``callback(step, loss)`` may
        stop it) and return the :class:`~histdip.fit.Fit`."""
        return fit(self.net, self.sampler, self.physics, iterations=iterations, lr=lr, ema=ema,
                   stopper=self.stopper, preview=self.preview, check=self.check, snapshot_every=snapshot_every,
                   progress=progress, callback=callback, leash=self.leash)

    def output(self, fit):
        """The result of ``fit``: the last iterate in train mode (the paper's), or the
        eval-mode prediction of the fitted (averaged) network."""
        if self.last_iterate:
            with torch.no_grad():
                fit.net.train()
                return unpad(to_array(fit.net(self.net_input)), self.amounts)
        return self.predict(fit.model)


def build_problem(grey, signal, target, mask, *, loss_noise, noise=None, recorded=None, amounts, fit_mask=True, thresholded=True,
                  network, physics, stopping, input="image", input_channels=1, patch_size=None, batch_size=1,
                  foreground_crops=0.5, mask_resampling="hr", output="eval", tile=None, ensemble=1,
                  channels_last=False, seed=0, device="cpu"):
    """The :class:`Problem` of fitting ``target``.

    Parameters
    ----------
    grey : ndarray, (H, W)
        The grey on 0-255 the network input is made from.
    signal, target : ndarray, (H, W) or (H, W, C)
        The fitted plane (background subtracted) and what the fit compares with (the
        signal, masked for ``hist-dip``).
    mask : ndarray of bool, (H, W)
        The foreground, for the crops centred on it and the stopping rule's weight.
    loss_noise : noise model
        The noise of the recording, whose loss the fit minimises (the forward model
        scales it to the target's resolution).
    noise : noise model, optional
        The recording's noise (:func:`histdip.noise.estimate_noise`), needed by the
        ``noise-level`` rule: it compares the residual with this noise's variance at the
        levels of ``recorded``, the plane as the camera recorded it.
    recorded : ndarray, optional
        The fitted plane before any background was subtracted, the shape of ``signal``.
    amounts : tuple
        The padding (:func:`padding_for`).
    fit_mask : bool
        Whether the target is masked (``hist-dip``): the mask then centres crops,
        weighs the stopping rule and, with ``mask_resampling='lr'``, is resampled.
    thresholded : bool
        Whether the target zeroes recorded light (:attr:`histdip.prior.Prior.zeroes_recording`).
    network, physics, stopping : config sections
    input, input_channels, patch_size, batch_size, foreground_crops, mask_resampling,
    output, tile, ensemble, channels_last, seed, device
        As the :class:`~histdip.config.RestoreConfig` fields of those names.
    """
    dev = resolve_device(device)
    torch.manual_seed(seed)
    forward = build_physics(physics.kind, physics.factor, physics.kernel, loss_noise).to(dev)
    out_channels = 3 if signal.ndim == 3 else 1
    net = build_network(input_channels, out_channels, network, device=device, channels_last=channels_last)
    net_input = network_input(grey, amounts, kind=input, channels=input_channels, seed=seed, device=device,
                              channels_last=channels_last)
    with torch.no_grad():
        if mask_resampling == "lr" and fit_mask:
            photo = forward(to_tensor(pad(signal, amounts), dev))
            target_t = photo * forward(to_tensor(pad(mask.astype(np.float32), amounts), dev))
        else:
            target_t = forward(to_tensor(pad(target, amounts), dev))
    h, w = net_input.shape[-2:]
    whole = not (patch_size and (h > patch_size or w > patch_size))
    if whole:
        # A crop as large as the image is the image: a batch of copies of it costs more
        # work for the same gradient, less the crop margin the loss skips.
        sampler = WholeImage(net_input, target_t)
    else:
        margin = math.ceil(getattr(forward, "pad", 0) / forward.factor) + 1
        sampler = RandomCrops(net_input, target_t, patch_size, batch_size, forward.factor, margin, seed,
                              foreground=pad(mask, amounts) if fit_mask else None, foreground_share=foreground_crops)
    # Made here, after the tensors: a 12 MP map is 92 MB more at the fit's peak.
    wants = stopping.rule == "noise-level" or (thresholded and network.leashed)
    variance = noise.variance_map(recorded) if noise is not None and wants else None
    stopper, check = _stopping(stopping, net_input, target, mask, variance, amounts, network.multiple,
                               patch_size, fit_mask=fit_mask, thresholded=thresholded)
    leash = _leash(network, variance, loss_noise) if thresholded else None
    return Problem(net, net_input, forward, sampler, stopper, check, amounts, tile, ensemble, output == "last",
                   output == "last" and not patch_size, leash)


def _leash(network, variance, loss_noise):
    """The :class:`~histdip.fit.Leash` of a thresholded fit, or None: only a clipped
    output needs one, and only a thresholded target is zero over most of the image (an
    unthresholded target holds the recording's noise about every level, and pulls each
    pixel itself). Its deviation is the recording noise's, in root mean square per channel."""
    if not network.leashed or variance is None:
        return None
    v = np.asarray(variance, dtype=np.float64)
    sd = np.sqrt(v.reshape(-1, v.shape[-1]).mean(axis=0) if v.ndim == 3 else [v.mean()])
    if not np.all(sd > 0):
        return None
    # A plain MSE (Gaussian noise, whatever its sigma) is in the output's units squared;
    # the Poisson-Gaussian loss is in units of the noise variance.
    scale = 1.0 if isinstance(loss_noise, GaussianNoise) else 1.0 / sd**2
    return Leash(sd, network.leash, scale=scale)


def _stopping(stopping, net_input, target, mask, variance, amounts, multiple, patch_size, *, fit_mask,
              thresholded):
    """(stopper, check): the stopping rule and the output it watches.

    Both rules watch a window, not the whole image (:func:`histdip.fit.probe_window`):
    ``plateau`` the central one; ``noise-level`` the one with the most foreground (a
    masked fit compares output and target only on the foreground).
    """
    if stopping.rule == "fixed":
        return None, None
    h, w = net_input.shape[-2:]
    # noise-level compares a mean over the window; 2 crops a side is enough pixels and
    # keeps a check at about a third of a step's cost.
    crops = 2 if stopping.rule == "noise-level" else 4
    size = crops * patch_size if patch_size else max(h, w)
    weight = pad(mask.astype(np.float64), amounts) if fit_mask else None
    window = probe_window((h, w), size, multiple, weight if stopping.rule == "noise-level" else None)
    probe_input = net_input[(..., *window)]

    def check(model, step_output):
        return to_array(predict_eval(model, probe_input))

    if stopping.rule == "plateau":
        return PlateauStopper(stopping.check_every, stopping.tolerance, stopping.patience,
                              stopping.min_iterations), check
    # Copies of the windows: views would keep the whole padded images alive for the fit.
    stopper = NoiseLevelStopper.from_config(
        stopping, pad(target, amounts)[window].copy(), pad(variance, amounts)[window].copy(),
        None if weight is None else weight[window].copy(), thresholded=thresholded,
    )
    return stopper, check
