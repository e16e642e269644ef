"""Contract tests over every noise model: the same interface, and each keeps its promises."""

import json

import numpy as np
import pytest
import torch

from histdip.noise import GaussianNoise, PoissonGaussianNoise

MODELS = {
    "gaussian": GaussianNoise(0.05),
    "poisson-gaussian": PoissonGaussianNoise(0.01, 0.02, 0.0),
    "poisson-gaussian, offset": PoissonGaussianNoise(0.004, 0.0, 0.1),
    "poisson-gaussian, per channel": PoissonGaussianNoise((0.01, 0.004, 0.02), (0.02, 0.01, 0.0), (0.0, 0.05, 0.0)),
}


def _mean(model, shape=(64, 64)):
    ramp = np.tile(np.linspace(0.15, 0.85, shape[1]), (shape[0], 1))
    return np.stack([ramp] * 3, -1) if np.ndim(getattr(model, "gain", 0.0)) else ramp


@pytest.fixture(params=sorted(MODELS))
def model(request):
    return MODELS[request.param]


def test_variance_is_what_samples_show(model):
    mean = _mean(model, (200, 40))
    rng = np.random.default_rng(0)
    draws = np.stack([model.sample(mean, rng) for _ in range(300)])
    assert draws.shape[1:] == mean.shape
    np.testing.assert_allclose(draws.mean(0).mean(0), mean.mean(0), atol=0.005)
    # per column (one level each), the sample variance against the model's
    np.testing.assert_allclose(draws.var(0).mean(0), model.variance(mean).mean(0), rtol=0.12)


def test_scaled_scales_the_variance_at_every_level(model):
    mean = _mean(model)
    np.testing.assert_allclose(model.scaled(0.25).variance(mean), 0.25 * model.variance(mean), rtol=1e-12)


def test_variance_map_is_the_variance_at_the_local_mean(model):
    mean = _mean(model)
    assert model.variance_map(mean).shape == mean.shape
    np.testing.assert_allclose(model.variance_map(mean)[8:-8, 8:-8], model.variance(mean)[8:-8, 8:-8],
                               rtol=1e-9)


def test_the_loss_is_zero_at_the_target_and_ignores_zero_weight(model):
    channels = 3 if np.ndim(getattr(model, "gain", 0.0)) else 1
    torch.manual_seed(0)
    target = 0.2 + 0.6 * torch.rand(1, channels, 16, 16)
    assert float(model.loss(target, target)) == pytest.approx(0.0, abs=1e-12)
    worse = target + 0.1
    assert float(model.loss(worse, target)) > 0
    weight = torch.zeros(1, 1, 16, 16)
    weight[..., 4:8, 4:8] = 1
    off = target.clone()
    off[..., 0, 0] += 5.0  # outside the weight: does not count
    assert float(model.loss(off, target, weight)) == pytest.approx(0.0, abs=1e-12)
    assert float(model.loss(worse, target, weight)) > 0
    # a gradient, and the same value twice
    pred = worse.clone().requires_grad_(True)
    model.loss(pred, target).backward()
    assert pred.grad.abs().sum() > 0
    assert float(model.loss(worse, target)) == float(model.loss(worse, target))


def test_parameters_go_to_json(model):
    record = json.loads(json.dumps(model.to_dict()))
    assert record["model"] in ("gaussian", "poisson-gaussian")


def test_the_gaussian_loss_is_the_papers_plain_mse():
    a, b = torch.zeros(1, 1, 4, 4), torch.ones(1, 1, 4, 4)
    assert float(GaussianNoise(0.3).loss(a, b)) == 1.0


@pytest.mark.parametrize("model", [GaussianNoise(0.02), PoissonGaussianNoise(0.01, 0.02, 0.1),
                                   PoissonGaussianNoise((0.01, 0.02), (0.02, 0.01), (0.1, 0.0))])
def test_in_units_is_the_noise_of_the_scaled_image(model):
    mean = np.linspace(0.0, 0.8, 9)
    mean = mean if np.ndim(model.gain if hasattr(model, "gain") else 0) == 0 else np.stack([mean, mean], -1)
    k = 7.5
    assert np.allclose(model.in_units(k).variance(k * mean), k * k * model.variance(mean))
    draws = model.in_units(k).sample(np.full((200, 200) + mean.shape[1:], k * 0.5), np.random.default_rng(0))
    assert np.var(draws) == pytest.approx(k * k * float(np.mean(model.variance(np.full(mean.shape[1:] or (1,), 0.5)))), rel=0.05)
