"""histdip.noise.vst: the generalised Anscombe transform and its unbiased inverse."""

import numpy as np
import pytest
import torch

from histdip.noise import gat, gat_centred, gat_inverse


def test_gat_stabilises_poisson_gaussian_variance():
    rng = np.random.default_rng(2)
    gain, sigma = 0.01, 0.01
    for level in (0.05, 0.2, 0.5, 0.9):
        noisy = gain * rng.poisson(np.full(20000, level) / gain) + rng.normal(0, sigma, 20000)
        assert np.var(gat(noisy, gain, sigma)) == pytest.approx(1.0, abs=0.12)
    for lam in (5, 20, 80):  # the classical Anscombe transform on counts
        assert np.var(gat(rng.poisson(lam, 200_000).astype(float), 1.0, 0.0)) == pytest.approx(1.0, abs=0.08)


def test_gat_inverse_is_unbiased():
    rng = np.random.default_rng(3)
    gain, sigma = 0.01, 0.01
    for level in (0.05, 0.3, 0.8):
        noisy = gain * rng.poisson(np.full(50000, level) / gain) + rng.normal(0, sigma, 50000)
        back = gat_inverse(np.mean(gat(noisy, gain, sigma)), gain, sigma)
        assert back == pytest.approx(level, rel=0.02)


def test_torch_and_numpy_agree_and_a_gradient_survives_below_the_offset():
    x = np.linspace(0, 1, 11)
    np.testing.assert_allclose(gat(x, 0.01, 0.02, 0.0), gat(torch.tensor(x), 0.01, 0.02, 0.0).numpy(), rtol=1e-6)
    t = torch.tensor([-0.5, 0.0, 0.3], requires_grad=True)
    gat(t, 0.01, 0.0, offset=0.1).sum().backward()
    assert torch.all(t.grad > 0)


@pytest.mark.parametrize("gain", [0.01, 1e-6, 0.0])
def test_the_centred_transform_keeps_differences_where_the_plain_one_cancels(gain):
    x = np.linspace(0.1, 1.0, 10)  # above the offset: the plain transform's root is real
    centred = gat_centred(x, gain, 0.02, 0.05)
    if gain > 1e-4:  # where the plain transform is exact, the two differ by a constant
        np.testing.assert_allclose(centred - centred[0], gat(x, gain, 0.02, 0.05) - gat(x[0], gain, 0.02, 0.05),
                                   rtol=1e-9)
    t = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    out = gat_centred(t, gain, 0.02, 0.05)
    np.testing.assert_allclose(out.detach().numpy(), centred, rtol=1e-5, atol=1e-5)
    out.sum().backward()
    assert torch.all(t.grad > 0)  # float32 keeps the slope: no cancellation
    if gain < 1e-4:
        np.testing.assert_allclose(centred, (x - 0.05) / 0.02, rtol=1e-3)  # Gaussian noise: (x - o) / sigma
