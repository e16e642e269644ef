"""Do channels-last memory, bf16 autocast or torch.compile speed up the fast preset's
fitting step on this CPU?  Times one Adam step of the default network on the default
batch (4 crops of 128 x 128 through the preset's forward model; 'cl+' variants are
channels-last with bf16, 3 crops or 96 px crops), each variant interleaved
with the plain fp32 reference in the same process, and prints medians and ratios.

Run: .venv/bin/python scripts/speed_variants.py [--rounds 7] [--steps 20] [--threads 1]
Recorded in docs/benchmarks.md ("What did not help").
"""

import argparse
import platform
import statistics
import time

import torch

from histdip.config import RestoreConfig
from histdip.losses import mse
from histdip.networks import SkipNet
from histdip.physics import build_physics

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("--rounds", type=int, default=7)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--no-compile", action="store_true")
args = p.parse_args()
torch.set_num_threads(args.threads)
cfg = RestoreConfig.from_preset("fast")
size, batch = cfg.patch_size, cfg.batch_size
g = torch.Generator().manual_seed(0)
x = torch.rand((batch, cfg.input_channels, size, size), generator=g)
y = torch.rand((batch, 1, size // cfg.physics.factor, size // cfg.physics.factor), generator=g)


def make(variant):
    torch.manual_seed(0)
    net = SkipNet(cfg.input_channels, 1, cfg.network)
    physics = build_physics(cfg.physics)
    inp, target = x, y
    if variant.startswith("cl+"):  # the fast preset's batch, fewer / smaller crops
        n, crop = {"cl+3 crops": (3, size), "cl+96 px crops": (batch, 96)}.get(variant, (batch, size))
        inp, target = x[:n, :, :crop, :crop], y[:n, :, :crop // cfg.physics.factor, :crop // cfg.physics.factor]
    if variant == "channels_last" or variant.startswith("cl+"):
        net = net.to(memory_format=torch.channels_last)
        inp = inp.contiguous(memory_format=torch.channels_last)
    model = torch.compile(net) if variant == "compile" else net
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)

    def step():
        opt.zero_grad(set_to_none=True)
        if variant in ("bf16", "cl+bf16"):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                out = model(inp)
            out = out.float()
        else:
            out = model(inp)
        loss = mse(physics(out), target)
        loss.backward()
        opt.step()
        return float(loss.detach())

    return step


variants = ["fp32", "channels_last", "bf16", "cl+bf16", "cl+3 crops", "cl+96 px crops"] + ([] if args.no_compile else ["compile"])
steps = {}
for v in variants:
    t = time.perf_counter()
    try:
        steps[v] = make(v)
        steps[v]()  # warm-up (compilation for 'compile')
        print(f"{v}: first step {time.perf_counter() - t:.2f} s", flush=True)
    except Exception as err:  # noqa: BLE001 - e.g. no C++ compiler for torch.compile: report, go on
        print(f"{v}: unavailable ({type(err).__name__}: {str(err).splitlines()[0][:120]})")
        steps.pop(v, None)
times = {v: [] for v in steps}
for _ in range(args.rounds):
    for v, step in steps.items():
        t = time.perf_counter()
        for _ in range(args.steps):
            step()
        times[v].append((time.perf_counter() - t) / args.steps)
ref = statistics.median(times["fp32"])
print(f"\n{platform.processor() or platform.machine()}, torch {torch.__version__}, {args.threads} thread(s), "
      f"batch {batch}x{size}x{size}, medians of {args.rounds} rounds of {args.steps} steps")
print("| variant | ms / step | ratio to fp32 |\n|---|---|---|")
for v, ts in times.items():
    m = statistics.median(ts)
    print(f"| {v} | {1000 * m:.1f} | {m / ref:.2f} |")
