"""The HIST-DIP pipeline: threshold prior + Deep Image Prior, on NumPy arrays.

:func:`restore` returns the restored array; :func:`restore_detailed` also returns the
threshold, mask, iterations, stop reason and snapshots. :func:`fit_model` and
:func:`apply_model` are the paper's validation mode: fit on one photo, apply the fitted
network feed-forward to others.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from .background import subtract_background
from .color import select_channel
from .config import RestoreConfig
from .devices import resolve_device
from .errors import InputError
from .fitting import NoiseLevelStopper, PlateauStopper, fit
from .losses import Loss
from .networks import SkipNet
from .physics import build_physics
from .intensity import intensity_range, to_unit
from .io import MIN_SIDE
from .prior import auto_background_radius, foreground_mask, gray_for_threshold, masked_target, threshold_value
from .samples import choose_sample, foreground_snr, grey_noise_sigma, sample_overrides
from .settings import resolve_config
from .sampling import RandomCrops, WholeImage, pad, pad_amounts, predict, to_array, to_tensor, unpad


@dataclass
class Restoration:
    """A restored image and how it was obtained."""

    image: np.ndarray
    config: RestoreConfig
    threshold: float | None = None
    mask: np.ndarray | None = None
    iterations: int = 0
    stop_reason: str = ""
    seconds: float = 0.0
    snapshots: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    #: The rolling-ball radius used (``background_radius='auto'`` resolved), or None.
    background_radius: float | None = None
    #: The stopping rule's signal at each check, (step, value); see ``FitResult.trace``.
    stop_trace: list = field(default_factory=list)
    #: The hysteresis pair's lower T (``threshold_low`` resolved), or None.
    threshold_low: float | None = None
    #: Why ``sample='auto'`` chose ``config.sample`` (:func:`histdip.samples.choose_sample`), or "".
    sample_reason: str = ""

    def record(self):
        """The scalars of this run, for the JSON saved beside an output."""
        return {
            "threshold": None if self.threshold is None else float(self.threshold),
            "threshold_low": self.threshold_low,
            "foreground_fraction": None if self.mask is None else float(self.mask.mean()),
            "background_radius": self.background_radius,
            "sample": self.config.sample,
            "sample_reason": self.sample_reason,
            "iterations": self.iterations,
            "stop_reason": self.stop_reason,
            "seconds": round(self.seconds, 3),
            "final_loss": self.loss[-1] if self.loss else None,
            "torch": str(torch.__version__),
        }


class _Prepared:
    """The image brought to [0, 1], its working plane, grey for the threshold, padding."""

    def __init__(self, image, config, *, fit=True):
        # fit=False: only the grey for T is wanted (``histdip threshold``); a colour
        # image's fitted plane is then left out (signal None: one rolling ball less).
        image = validate_image(image)
        self.lo, self.hi = intensity_range(image)
        #: The luma's noise sigma on 0-255 (:func:`histdip.samples.grey_noise_sigma`),
        #: where ``sample='auto'`` read it; else None.
        self.grey_sigma = None
        self.signal = select_channel(to_unit(image), config.channel)
        # The noise estimate reads the recorded levels: a pixel's Poisson variance follows
        # its brightness, not its brightness above a subtracted background (read on
        # the subtracted plane, simulated filaments' noise came out 1.5-1.9x too high and
        # the stopping rule ended their fits 150-250 steps and up to 7 dB early).
        self.recorded = self.signal
        # Background subtraction belongs to the threshold prior; the ``dip`` ablation
        # fits the image as it is.
        self.corrected = config.background != "none" and config.method != "dip"
        self.background_radius = None
        if self.corrected:
            radius = config.background_radius
            if radius == "auto":
                radius = auto_background_radius(image, smooth=config.threshold_smooth)
            self.background_radius = float(radius)
            grey_image = image.ndim == 2
            self.signal = subtract_background(self.signal, config.background, radius) if fit or grey_image else None
            # A grey image is its own luma: subtract once.
            self.gray = 255.0 * self.signal if grey_image else gray_for_threshold(image, config.background, radius)
        else:
            self.gray = gray_for_threshold(image)
        if config.threshold_smooth > 0:
            # The mask of a noisy grey has ragged edges and specks; T and the mask come
            # from a lightly smoothed grey (the fitted signal is not smoothed).
            from scipy import ndimage

            self.gray = ndimage.gaussian_filter(self.gray, config.threshold_smooth, mode="reflect")
        multiple = math.lcm(config.network.multiple, config.physics.factor)
        self.amounts = pad_amounts(self.gray.shape, multiple, config.network.margin)

    def prior(self, config):
        """(T, mask, target): the threshold prior and what the method fits.

        ``hist-dip`` and ``threshold`` use the masked signal (and need something above
        T); ``dip``, the ablation, fits the unmasked signal.
        """
        t = threshold_value(self.gray, config.threshold)
        self.threshold_low = None if config.threshold_low is None else threshold_value(self.gray, config.threshold_low)
        mask = foreground_mask(self.gray, t, low=self.threshold_low, min_size=config.mask_min_size,
                               grow=config.mask_grow)
        target = self.signal if config.method == "dip" else masked_target(self.signal, mask)
        return t, mask, target

    def to_input_units(self, unit_array):
        # A background-subtracted result is a difference: it keeps no offset.
        offset = 0.0 if self.corrected else self.lo
        return (unit_array * (self.hi - self.lo) + offset).astype(np.float32)


def validate_image(image):
    """Check an array can be restored; raise :class:`InputError` saying why not."""
    image = np.asarray(image)
    if image.dtype == object or not (np.issubdtype(image.dtype, np.number) or image.dtype == np.bool_):
        raise InputError(f"image has unsupported data type {image.dtype}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and not 1 <= image.shape[-1] <= 4):
        raise InputError(f"expected a grey (H, W) or colour (H, W, C<=4) image, got shape {image.shape}")
    if min(image.shape[:2]) < MIN_SIDE:
        raise InputError(f"image is {image.shape[0]}x{image.shape[1]} pixels; histdip needs at least {MIN_SIDE}x{MIN_SIDE}")
    if np.issubdtype(image.dtype, np.floating) and not np.isfinite(image).all():
        raise InputError("image contains NaN or infinite values")
    return image


def restore(image, config=None, *, progress=False, snapshots=0, **overrides):
    """Restore a dim, noisy fluorescence image.

    Parameters
    ----------
    image : ndarray, (H, W) or (H, W, C)
        Grey or colour image in its native units (uint8, uint16 or float).
    config : RestoreConfig or path, optional
        Settings; by default the ``fast`` preset.
    progress : bool
        Show a progress bar while fitting.
    snapshots : int
        Keep the result every this many iterations (see :func:`restore_detailed`).
    **overrides
        Any :class:`RestoreConfig` field, e.g. ``threshold=125``, ``method='dip'``,
        ``preset='paper'``, ``seed=1``; and ``sample='filaments'`` or ``'cells'``, the
        fast preset's settings for that kind of sample (:mod:`histdip.samples`).

    Returns
    -------
    ndarray, float32, (H, W), or (H, W, 3) when ``channel='rgb'``
        Same height and width as ``image``, on its intensity scale.

    Examples
    --------
    >>> import numpy as np, histdip
    >>> img = np.zeros((64, 64), np.uint8); img[20:30, 20:30] = 200
    >>> histdip.restore(img, method="threshold", threshold=100).shape
    (64, 64)
    """
    return restore_detailed(image, config, progress=progress, snapshots=snapshots, **overrides).image


def restore_detailed(image, config=None, *, progress=False, snapshots=0, **overrides):
    """Like :func:`restore`, returning a :class:`Restoration` with the run's details."""
    config = resolve_config(config, **overrides)
    start = time.perf_counter()
    prep, config, why = prepare(image, config)
    t, mask, target = prep.prior(config)
    if config.method == "threshold":
        return Restoration(
            prep.to_input_units(target), config, t, mask, 0, "threshold only: no fitting",
            time.perf_counter() - start, background_radius=prep.background_radius, threshold_low=prep.threshold_low,
            sample_reason=why,
        )
    net, fitted, result, net_input = _fit(prep, config, target, mask, progress=progress, snapshot_every=snapshots)
    out = _final_output(net, fitted, net_input, prep, config)
    snaps = [(k, prep.to_input_units(a)) for k, a in result.snapshots]
    return Restoration(
        prep.to_input_units(out), config, t, mask, result.iterations, result.stop_reason,
        time.perf_counter() - start, snaps, result.loss, prep.background_radius, result.trace, prep.threshold_low, why,
    )


def prepare(image, config, *, fit=True):
    """(prepared image, config, reason): ``sample='auto'`` resolved on ``image``.

    With ``auto``, the grey and T of the preset's own settings (beads) are read first;
    :func:`histdip.samples.choose_sample` then keeps them or switches to ``cells``. The
    returned config names the choice and holds the fields it set, so saved beside a
    result it reproduces the run. Any other config comes back as it is, reason "".
    ``fit=False`` prepares only the grey that T is chosen on (``histdip threshold``).
    """
    if config.sample != "auto":
        return _Prepared(image, config, fit=fit), config, ""
    # Read first: computed between the rolling ball and the fit, it slowed the fit of
    # a.png by 1.4-1.9 s on 2 cores (cause not found); here, by 0.5-1 s at most.
    sigma = grey_noise_sigma(validate_image(image))
    prep = _Prepared(image, config, fit=fit)
    snr = foreground_snr(prep.gray, threshold_value(prep.gray, config.threshold), sigma)
    sample, why = choose_sample(snr, image)
    config = config.replace(**sample_overrides(sample), sample=sample)
    if sample != "beads":
        prep = _Prepared(image, config, fit=fit)
    prep.grey_sigma = sigma
    return prep, config, why


def _network_input(prep, config, device):
    if config.input == "image":
        plane = prep.gray / 255.0
        x = to_tensor(pad(plane, prep.amounts), device).repeat(1, config.input_channels, 1, 1)
    else:
        g = torch.Generator().manual_seed(config.seed)
        h, w = pad(prep.gray, prep.amounts).shape
        x = (0.1 * torch.rand((1, config.input_channels, h, w), generator=g)).to(device)
    return x.contiguous(memory_format=_memory_format(config))


def _memory_format(config):
    # Same arithmetic, activations stored pixel by pixel: faster convolutions on CPUs.
    # A fitted network applied later must use the same layout, or it differs in the
    # last bits (a different convolution kernel).
    return torch.channels_last if config.channels_last else torch.contiguous_format


def _fit(prep, config, target, mask, *, progress=False, snapshot_every=0):
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    physics = build_physics(config.physics).to(device)
    out_channels = 3 if prep.signal.ndim == 3 else 1
    net = SkipNet(config.input_channels, out_channels, config.network).to(device)
    net = net.to(memory_format=_memory_format(config))
    net_input = _network_input(prep, config, device)
    with torch.no_grad():
        if config.mask_resampling == "lr" and config.method == "hist-dip":
            photo = physics(to_tensor(pad(prep.signal, prep.amounts), device))
            target_t = photo * physics(to_tensor(pad(mask.astype(np.float32), prep.amounts), device))
        else:
            target_t = physics(to_tensor(pad(target, prep.amounts), device))
    loss = Loss(config.noise_model, _noise_parameters(prep, config, physics.noise_scale))
    h, w = net_input.shape[-2:]
    if config.patch_size and (h > config.patch_size or w > config.patch_size):
        margin = math.ceil(getattr(physics, "pad", 0) / physics.factor) + 1
        sampler = RandomCrops(
            net_input, target_t, config.patch_size, config.batch_size, physics.factor, margin, config.seed,
            foreground=pad(mask, prep.amounts) if config.method == "hist-dip" else None,
            foreground_share=config.foreground_crops,
        )
    else:
        # A crop as large as the image is the image: a batch of copies of it (a 128 px
        # image, 4 crops) costs 4x the work for the same gradient, less the crop margin
        # that the loss skips and the whole image does not need.
        sampler = WholeImage(net_input, target_t)

    def preview(model, step_output):
        if config.output == "last" and not config.patch_size:
            return unpad(to_array(step_output), prep.amounts)
        return _predict(model, net_input, prep, config)

    stopper, check = _stopping(config, prep, target, mask, net_input)
    result, fitted = fit(
        net, sampler, physics, loss, iterations=config.iterations, lr=config.lr, ema=config.ema,
        stopper=stopper, preview=preview, check=check, snapshot_every=snapshot_every, progress=progress,
    )
    return net, fitted, result, net_input


def _stopping(config, prep, target, mask, net_input):
    """(stopper, check): the configured stopping rule and the output it watches.

    Both rules watch a window of the image, not all of it: a whole-image prediction
    every check would cost more than the fit itself. ``plateau`` takes the central
    window; ``noise-level`` the window with the most foreground (hist-dip compares
    output and target only on the foreground, where the target still holds noise).
    """
    s = config.stopping
    if s.rule == "fixed":
        return None, None
    h, w = net_input.shape[-2:]
    # noise-level compares a mean over the window; 2 crops a side is enough pixels and
    # keeps a check at about a third of a step's cost.
    crops = 2 if s.rule == "noise-level" else 4
    size = crops * config.patch_size if config.patch_size else max(h, w)
    weight = pad(mask.astype(np.float64), prep.amounts) if config.method == "hist-dip" else None
    window = _probe_window((h, w), size, config.network.multiple, weight if s.rule == "noise-level" else None)
    probe_input = net_input[(..., *window)]

    def check(model, step_output):
        return to_array(_eval_forward(model, probe_input))

    if s.rule == "plateau":
        return PlateauStopper(s.check_every, s.tolerance, s.patience, s.min_iterations), check
    from .noise import noise_variance_map

    signal = prep.recorded
    if signal.ndim == 2:
        variance = noise_variance_map(signal)
    else:
        variance = np.stack([noise_variance_map(signal[..., c]) for c in range(signal.shape[-1])], axis=-1)
    stopper = NoiseLevelStopper.from_config(
        s, pad(target, prep.amounts)[window], pad(variance, prep.amounts)[window],
        None if weight is None else weight[window], thresholded=config.method == "hist-dip" and not mask.all(),
    )
    return stopper, check


def _probe_window(shape, size, multiple, weight=None):
    """(rows, cols) slices of a window at most ``size`` pixels a side, sides a multiple
    of ``multiple``: central, or where ``weight`` sums highest."""
    h, w = shape
    sh, sw = min(h, size), min(w, size)
    sh, sw = max(multiple, sh - sh % multiple), max(multiple, sw - sw % multiple)
    y, x = (h - sh) // 2, (w - sw) // 2
    if weight is not None and (sh < h or sw < w) and weight.any():
        from scipy import ndimage

        # Window sums on a grid of multiples: the box filter's centre is the window's.
        sums = ndimage.uniform_filter(weight, (sh, sw), mode="constant")
        cy = np.clip(np.arange(0, h - sh + 1, multiple) + sh // 2, 0, h - 1)
        cx = np.clip(np.arange(0, w - sw + 1, multiple) + sw // 2, 0, w - 1)
        grid = sums[np.ix_(cy, cx)]
        iy, ix = np.unravel_index(int(np.argmax(grid)), grid.shape)
        y, x = int(cy[iy] - sh // 2), int(cx[ix] - sw // 2)
    return slice(y, y + sh), slice(x, x + sw)


def _noise_parameters(prep, config, scale=1.0):
    """Poisson-Gaussian parameters of the target the loss sees, estimated on the image.

    The forward model shrinks the noise variance by ``scale`` (gain and sigma^2 alike);
    the offset, a level, is unchanged.
    """
    if config.noise_model != "poisson-gaussian":
        return None
    from .noise import estimate_poisson_gaussian

    plane = prep.signal if prep.signal.ndim == 2 else prep.signal.mean(axis=-1)
    noise = estimate_poisson_gaussian(plane)
    return {"gain": noise["gain"] * scale, "sigma": noise["sigma"] * math.sqrt(scale), "offset": noise["offset"]}


def _eval_forward(model, net_input, tile=None, ensemble=1):
    """Eval-mode (BatchNorm running statistics) prediction, leaving the mode as it was."""
    was_training = model.training
    model.eval()
    try:
        return predict(model, net_input, tile=tile, ensemble=ensemble)
    finally:
        model.train(was_training)


def _predict(model, net_input, prep, config):
    return unpad(to_array(_eval_forward(model, net_input, config.tile, config.ensemble)), prep.amounts)


def _final_output(net, fitted, net_input, prep, config):
    if config.output == "last":
        # The paper keeps the last iterate: a train-mode forward pass of the network.
        with torch.no_grad():
            net.train()
            return unpad(to_array(net(net_input)), prep.amounts)
    return _predict(fitted, net_input, prep, config)
