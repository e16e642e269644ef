"""histdip.fit.optim: Adam, written out to keep torch._dynamo's import cost out of every fit."""

import subprocess
import sys

import pytest
import torch

from histdip.config import NetworkConfig
from histdip.fit import Adam
from histdip.networks import SkipNet


def test_adam_gives_torch_adams_bits():
    torch.manual_seed(0)
    cfg = NetworkConfig(channels_down=[8, 8], channels_up=[8, 8], channels_skip=[2, 2])
    nets = [SkipNet(1, 1, cfg), SkipNet(1, 1, cfg)]
    nets[1].load_state_dict(nets[0].state_dict())
    opts = [Adam(nets[0].parameters(), lr=6e-3), torch.optim.Adam(nets[1].parameters(), lr=6e-3)]
    x, y = torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32)
    for _ in range(15):
        for net, opt in zip(nets, opts):
            opt.zero_grad()
            ((net(x) - y) ** 2).mean().backward()
            opt.step()
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        assert torch.equal(a, b)


def test_adam_goes_back_to_a_saved_state():
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = Adam([w], lr=0.1)

    def step():
        opt.zero_grad()
        (w ** 2).sum().backward()
        opt.step()

    step()
    saved, at = opt.state_dict(), w.detach().clone()
    step()
    after = w.detach().clone()
    step()
    opt.load_state_dict(saved)
    with torch.no_grad():
        w.copy_(at)
    step()
    assert torch.equal(w.detach(), after) and opt.steps == 2


def test_adam_refuses_nothing_to_fit_and_a_bad_rate():
    with pytest.raises(ValueError, match="no parameters"):
        Adam([torch.nn.Parameter(torch.zeros(2), requires_grad=False)], lr=1e-3)
    with pytest.raises(ValueError, match="learning rate"):
        Adam([torch.nn.Parameter(torch.zeros(2))], lr=0)


def test_a_restoration_does_not_import_torch_dynamo():
    code = ("import sys, numpy as np, histdip; img = np.zeros((64, 64), np.uint8); img[20:30, 20:30] = 200; "
            "histdip.restore(img, iterations=3); print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"
