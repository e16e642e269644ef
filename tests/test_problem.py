"""histdip.problem: network, input, forward model with noise, target, sampler and stopper, put together once."""

import numpy as np
import pytest
import torch

from histdip.config import preset
from histdip.fit import NoiseLevelStopper, RandomCrops, WholeImage
from histdip.noise import GaussianNoise, PoissonGaussianNoise
from histdip.problem import build_problem, network_input, padding_for


def _problem(shape=(64, 64), thresholded=True, **settings):
    c = preset("fast").replace(**settings)
    rng = np.random.default_rng(0)
    signal = rng.random(shape)
    mask = signal > 0.5
    amounts = padding_for(shape, c.network, c.physics)
    return build_problem(
        255.0 * signal, signal, signal * mask, mask, loss_noise=GaussianNoise(),
        noise=PoissonGaussianNoise(0.001, 0.01, 0.0), recorded=signal,
        amounts=amounts, network=c.network, physics=c.physics, stopping=c.stopping, input=c.input,
        input_channels=c.input_channels, patch_size=c.patch_size, batch_size=c.batch_size, seed=c.seed,
        channels_last=c.channels_last, thresholded=thresholded,
    )


def test_an_image_no_larger_than_a_crop_is_fitted_whole():
    assert isinstance(_problem((64, 64)).sampler, WholeImage)  # under the default's 128 px crops
    assert isinstance(_problem((192, 64)).sampler, RandomCrops)


def test_the_same_seed_builds_the_same_network_and_the_stopper_watches_the_target():
    a, b = _problem(), _problem()
    for p, q in zip(a.net.parameters(), b.net.parameters()):
        assert torch.equal(p, q)
    assert isinstance(a.stopper, NoiseLevelStopper) and a.stopper.patience == preset("fast").stopping.patience
    assert _problem(stopping={"rule": "fixed"}).stopper is None


def test_the_forward_model_owns_the_loss_noise():
    p = _problem()
    assert p.physics.factor == 2 and isinstance(p.physics.noise, GaussianNoise)


def test_a_thresholded_fit_of_the_clipped_output_is_on_the_leash_at_the_recording_noise():
    leash = _problem().leash
    # PoissonGaussianNoise(0.001, 0.01): variance 0.001 x + 0.0001 about the uniform signal's mean 0.5
    assert leash is not None and leash.slack == 3.0
    assert leash.sd[0] == pytest.approx(np.sqrt(0.001 * 0.5 + 0.01**2), rel=0.05)
    assert _problem(thresholded=False).leash is None  # its target pulls every pixel itself
    assert _problem(network={"leash": None}).leash is None
    assert _problem(network={"clamp": False}).leash is None  # nothing clipped, nothing to reach
    assert _problem(stopping={"rule": "fixed"}).leash is not None


def test_network_input_is_the_grey_or_a_seeded_code():
    grey = np.full((16, 16), 127.5)
    x = network_input(grey, (0, 0, 0, 0), channels=3)
    assert x.shape == (1, 3, 16, 16) and float(x.max()) == pytest.approx(0.5)
    a = network_input(grey, (0, 0, 0, 0), kind="noise", channels=4, seed=1)
    b = network_input(grey, (0, 0, 0, 0), kind="noise", channels=4, seed=1)
    assert a.shape == (1, 4, 16, 16) and torch.equal(a, b) and float(a.max()) <= 0.1
