"""Contract tests over every forward model: shape, linearity, adjoint, constants, noise, determinism."""

import numpy as np
import pytest
import torch

from histdip.noise import GaussianNoise, PoissonGaussianNoise
from histdip.physics import Downsample, Identity, build_physics, lanczos_kernel_1d

FORWARD = {
    "identity": lambda noise=None: Identity(noise),
    "x2 lanczos2": lambda noise=None: Downsample(2, "lanczos2", noise),
    "x4 lanczos2 (the paper's)": lambda noise=None: Downsample(4, "lanczos2", noise),
    "x2 lanczos3": lambda noise=None: Downsample(2, "lanczos3", noise),
    "x3 box": lambda noise=None: Downsample(3, "box", noise),
}


@pytest.fixture(params=sorted(FORWARD))
def make(request):
    return FORWARD[request.param]


def test_the_output_is_the_input_divided_by_the_factor(make):
    a = make()
    x = torch.rand(2, 3, 48, 72)
    assert a(x).shape == (2, 3, 48 // a.factor, 72 // a.factor)


def test_linear_and_adjoint(make):
    a = make()
    torch.manual_seed(0)
    x, z = torch.rand(1, 1, 48, 48, dtype=torch.float64), torch.rand(1, 1, 48, 48, dtype=torch.float64)
    torch.testing.assert_close(a(2 * x - 3 * z), 2 * a(x) - 3 * a(z))
    y = torch.rand_like(a(x))
    # <A x, y> = <x, A^T y>
    assert float((a(x) * y).sum()) == pytest.approx(float((x * a.adjoint(y, x.shape)).sum()), rel=1e-10)


def test_a_constant_image_stays_constant(make):
    a = make()
    torch.testing.assert_close(a(torch.full((1, 1, 36, 36), 0.7)), torch.full(a(torch.zeros(1, 1, 36, 36)).shape, 0.7))


def test_the_noise_of_the_target_is_the_recordings_scaled_as_white_noise_is(make):
    a = make(PoissonGaussianNoise(0.01, 0.02, 0.0))
    level = np.array([0.5])
    assert a.noise.variance(level) == pytest.approx(a.noise_scale * a.recording_noise.variance(level))
    # and that scale is what white noise through the model really shows
    torch.manual_seed(1)
    white = torch.randn(64, 1, 48, 48, dtype=torch.float64)
    interior = a(white)[..., 2:-2, 2:-2]
    assert float(interior.var()) == pytest.approx(a.noise_scale, rel=0.1)


def test_deterministic_and_no_parameters(make):
    a = make()
    x = torch.rand(1, 1, 24, 24)
    assert torch.equal(a(x), a(x))
    assert sum(p.numel() for p in a.parameters()) == 0


def test_the_loss_is_the_noise_models_on_the_forward_model_output():
    a = Downsample(2, recording_noise=GaussianNoise(0.1))
    x, y = torch.rand(1, 1, 16, 16), torch.rand(1, 1, 8, 8)
    assert float(a.loss(x, y)) == pytest.approx(float(((a(x) - y) ** 2).mean()))


def test_lanczos2_kernel_matches_ulyanovs_downsampler():
    taps = lanczos_kernel_1d(4, support=2, phase=0.5)
    assert len(taps) == 16 and taps.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(taps, taps[::-1])
    assert taps[0] < 0 and taps[7] == taps.max()  # negative lobes at the ends


def test_build_physics_picks_the_kind():
    assert isinstance(build_physics("downsample", 1), Identity)
    assert isinstance(build_physics("identity", 4), Identity)
    d = build_physics("downsample", 4, "box")
    assert isinstance(d, Downsample) and d.factor == 4
