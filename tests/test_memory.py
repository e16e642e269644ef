"""histdip.memory: the estimate, the budget, the settings lowered to fit it, the refusal,
and a restoration under a hard address-space limit (RLIMIT_AS) that gets the refusal
instead of being killed.

The command line's --max-memory: tests/cli/test_memory_cli.py.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from histdip import HistDip, restore_detailed
from histdip.config import preset, resolve_config
from histdip.errors import ConfigError, MemoryBudgetError
from histdip.memory import (MemoryBudget, estimate_memory, format_size, measure_memory, memory_budget, parse_size,
                            plan_memory)
from tests.helpers import beads

FEW = dict(iterations=2, stopping={"rule": "fixed"})
SMALL_NET = {"channels_down": [8] * 4, "channels_up": [8] * 4, "channels_skip": [2] * 4}

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and RLIMIT_AS: Linux")


@pytest.mark.parametrize("text, size", [("2G", 2 * 2**30), ("500M", 500 * 2**20), ("1.5GiB", 3 * 2**29),
                                        ("64k", 65536), ("300 MB", 300 * 2**20), (4096, 4096), ("1e6", 10**6)])
def test_sizes_are_read_in_binary_units(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "2X", "G", "-1G", "0", True, "two gigabytes"])
def test_a_bad_size_is_a_config_error(text):
    with pytest.raises(ConfigError, match="memory size"):
        parse_size(text)


def test_a_bad_max_memory_setting_is_one_line():
    with pytest.raises(ConfigError, match=r"^invalid setting max_memory: memory size .*'lots'$"):
        resolve_config(max_memory="lots")
    assert resolve_config(max_memory="1.5G").max_memory == 3 * 2**29
    assert resolve_config().max_memory is None


def test_sizes_are_written_for_people():
    assert [format_size(s) for s in (512, 3 * 2**19, 300 * 2**20, 12 * 2**30)] == ["512 B", "1.5 MiB", "300 MiB",
                                                                                 "12 GiB"]


def test_the_estimate_grows_with_each_thing_it_depends_on():
    fast = resolve_config()
    small, large = (estimate_memory(s, fast) for s in ((900, 1200, 3), (3000, 4000, 3)))
    assert large.held > 10 * small.held and large.total > 2 * small.total
    assert estimate_memory((3000, 4000, 3), fast.replace(channel="rgb")).held > large.held  # three planes fitted
    assert estimate_memory((3000, 4000, 3), fast.replace(ensemble=8)).held > large.held
    # the prediction: one tile's activations; the whole image without tiles
    assert estimate_memory((3000, 4000, 3), fast.replace(tile=256)).predict < large.predict / 10
    assert estimate_memory((3000, 4000, 3), fast.replace(tile=None)).predict > 10 * large.predict
    assert estimate_memory((3000, 4000, 3), fast, predict=False).predict == 0
    # the fit: crops x batch, or the whole image; a wider network
    assert estimate_memory((900, 1200, 3), fast.replace(batch_size=16)).fit > 3 * small.fit
    assert estimate_memory((900, 1200, 3), fast.replace(patch_size=None)).fit > 10 * small.fit
    wide = fast.replace(network={"channels_down": [64] * 4, "channels_up": [64] * 4})
    assert estimate_memory((900, 1200, 3), wide).fit > 3 * small.fit
    paper = estimate_memory((900, 1200, 3), preset("paper"))
    assert paper.total > 10 * small.total  # 32 input channels, 128 x 5, the whole image, three planes
    assert estimate_memory((900, 1200, 3), fast.replace(method="threshold")).fit == 0


def test_the_budget_is_max_memory_when_given_else_what_is_free():
    assert memory_budget("300M") == MemoryBudget(300 * 2**20, "--max-memory")
    free = memory_budget()
    assert 0 < free.bytes < 2**63 - 1 and free.source
    try:
        import psutil
    except ImportError:
        return
    # no more than the machine has free (give or take what moved since)
    assert free.bytes <= psutil.virtual_memory().available * 1.1


@linux_only
@pytest.mark.parametrize("limit", ["RLIMIT_AS", "RLIMIT_DATA"])
def test_the_default_budget_is_what_the_process_limit_leaves(limit):
    child = textwrap.dedent(f"""
        import resource, json
        from histdip.memory import memory_budget
        def status(key):
            return next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith(key))
        used = status({"VmSize" if limit == "RLIMIT_AS" else "VmData"!r})
        resource.setrlimit(resource.{limit}, (used + 200 * 2**20, resource.RLIM_INFINITY))
        budget = memory_budget()
        print(json.dumps([budget.bytes, budget.source]))
    """)
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    size, source = json.loads(done.stdout)
    assert limit in source
    assert 150 * 2**20 < size <= 200 * 2**20


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_the_default_budget_is_what_the_cgroup_limit_leaves(tmp_path, monkeypatch, version):
    import histdip.memory as memory

    (tmp_path / "cgroup").write_text("0::/job\n" if version == "v2" else "4:cpu,memory:/job\n0::/\n")
    folder = tmp_path / "sys" / ("job" if version == "v2" else "memory/job")
    folder.mkdir(parents=True)
    names = (("memory.max", "memory.current", "inactive_file") if version == "v2" else
             ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"))
    (folder / names[0]).write_text(f"{2**30}\n")
    (folder / names[1]).write_text(f"{600 * 2**20}\n")
    (folder / "memory.stat").write_text(f"anon 1\n{names[2]} {100 * 2**20}\n")
    monkeypatch.setattr(memory, "CGROUP_FILE", tmp_path / "cgroup")
    monkeypatch.setattr(memory, "CGROUP_ROOT", tmp_path / "sys")
    budget = memory_budget()
    # 1 GiB less 600 MiB used, of which 100 MiB is cache the kernel drops first
    assert budget == MemoryBudget(524 * 2**20, f"left under the cgroup's {names[0]} ({version}) of 1.0 GiB")
    (folder / names[0]).write_text("max\n" if version == "v2" else f"{2**63 - 4096}\n")
    assert "cgroup" not in memory_budget().source


def test_below_the_budget_nothing_changes():
    config = resolve_config()
    plan = plan_memory((900, 1200, 3), config, budget=MemoryBudget(2**40, "test"))
    assert plan.config is config and plan.changed == {}
    assert plan.record()["changed"] == {} and plan.record()["budget"] == 2**40


def test_above_the_budget_the_tile_is_lowered_first_then_the_crops():
    config = resolve_config()
    shape = (3000, 4000, 3)
    with_tile = estimate_memory(shape, config.replace(tile=512)).total
    plan = plan_memory(shape, config, budget=MemoryBudget(with_tile, "test"))
    assert plan.changed == {"tile": (1024, 512)} and plan.config.tile == 512
    assert plan.config.replace(tile=1024) == config  # nothing else changed
    assert plan.estimate.total <= with_tile
    # the paper's whole-image fit: crops of the image, and the output pass stays whole
    paper = preset("paper").replace(output="eval", tile=1024)
    needed = estimate_memory((600, 800, 3), paper.replace(patch_size=256)).total
    plan = plan_memory((600, 800, 3), paper, budget=MemoryBudget(needed, "test"))
    assert plan.changed == {"patch_size": (None, 256)}


def test_where_nothing_brings_it_under_the_refusal_says_what_to_change():
    config = resolve_config()
    with pytest.raises(MemoryBudgetError) as info:
        plan_memory((3000, 4000, 3), config, budget=MemoryBudget(400 * 2**20, "test budget"))
    message = str(info.value)
    assert "\n" not in message and isinstance(info.value, ConfigError)
    needed = format_size(estimate_memory((3000, 4000, 3), config).total)
    assert f"3000 x 4000 restoration needs about {needed}" in message and "400 MiB is free (test budget)" in message
    assert "--max-memory" in message and "histdip restore IMAGE.ome.zarr" in message and "crop" in message
    # a network too large for the budget however it is tiled: a smaller network
    with pytest.raises(MemoryBudgetError, match="--preset fast"):
        plan_memory((900, 1200, 3), preset("paper"), budget=MemoryBudget(2**30, "test"))


def test_a_restoration_that_fits_is_unchanged_and_records_its_memory():
    image = beads((96, 128))
    result = restore_detailed(image, network=SMALL_NET, **FEW)
    record = result.record()["memory"]
    assert record["changed"] == {} and record["estimate"] <= record["budget"]
    assert record["estimate_parts"]["total"] == record["estimate"]
    again = restore_detailed(image, network=SMALL_NET, max_memory="64G", **FEW)
    np.testing.assert_array_equal(again.image, result.image)
    assert again.record()["memory"]["budget_source"] == "--max-memory"


def test_over_the_budget_a_restoration_runs_in_smaller_tiles_and_says_so():
    image = beads((192, 256))
    config = resolve_config(network=SMALL_NET, tile=256, patch_size=64, batch_size=1, **FEW)
    budget = estimate_memory(image.shape, config.replace(tile=128)).total
    assert estimate_memory(image.shape, config).total > budget
    result = HistDip(config, max_memory=budget).restore(image)
    assert result.config.tile == 128 and result.config.max_memory == budget
    assert result.record()["memory"]["changed"] == {"tile": {"asked": 256, "used": 128}}
    assert result.summary().endswith("to fit the memory budget tile 128 (not 256)")
    # the same network applied in tiles: the same output away from the seams
    whole = HistDip(config).restore(image)
    assert np.abs(result.image - whole.image).max() < 0.02 * np.ptp(whole.image) + 1e-6
    # the fit alone predicts nothing: its budget holds no prediction
    fitted, _ = HistDip(config, max_memory=estimate_memory(image.shape, config, predict=False).total).fit(image)
    assert fitted.record()["memory"]["changed"] == {}


def test_a_refused_restoration_is_refused_before_any_work():
    with pytest.raises(MemoryBudgetError, match="--max-memory allows 1.0 MiB"):
        restore_detailed(beads((96, 128)), max_memory="1M", **FEW)


@linux_only
@pytest.mark.parametrize("shape, settings", [
    ((1536, 1152, 3), dict(iterations=3)),
    ((320, 320, 3), dict(preset="paper", iterations=2)),
], ids=["fast-1536x1152-colour", "paper-320x320"])
def test_the_estimate_is_within_a_factor_of_1_5_of_the_measured_peak(shape, settings):
    """Sizes and settings the constants were not fitted on (histdip.memory's notes):
    the peak resident memory a restoration adds, measured in a new process, against the
    estimate."""
    measured = measure_memory(shape, **settings)["added"]
    estimate = estimate_memory(shape, resolve_config(**settings)).total
    print(f"{shape} {settings}: measured {format_size(measured)}, estimated {format_size(estimate)}, "
          f"ratio {estimate / measured:.2f}")
    assert measured / 1.5 <= estimate <= measured * 1.5


#: The child of the hard-limit test. It warms up (imports, one tiny restoration: torch's
#: kernels and allocator arenas, costs that do not grow with the image), caps its address
#: space at what it has mapped then plus MARGIN, restores the tiny image again under the
#: cap, and restores the large image through the command line, exiting with its exit code.
HARD_LIMIT_CHILD = textwrap.dedent("""
    import json, resource, sys
    import numpy as np
    import torch
    torch.set_num_threads(1)
    import histdip
    from histdip.cli.main import main
    big, outdir, margin, extra = json.loads(sys.argv[1])
    def status(key):
        return next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith(key))
    rng = np.random.default_rng(0)
    small = (rng.random((96, 128)) * 60).astype(np.uint8)
    small[30:40, 30:40] = 220
    histdip.restore(small, iterations=2)
    size_after_import = status("VmSize")
    resource.setrlimit(resource.RLIMIT_AS, (size_after_import + margin, resource.RLIM_INFINITY))
    histdip.restore(small, iterations=2)  # the limit leaves room for a restoration that fits
    print(json.dumps({"vmsize": size_after_import}), flush=True)
    sys.exit(main(["restore", big, "--outdir", outdir, "-q", *extra]))
""")


@linux_only
def test_under_a_hard_address_space_limit_a_12_mp_image_is_refused_in_one_line(tmp_path):
    """A child process under ``RLIMIT_AS`` restores a 4000 x 3000 colour image (height x
    width) with the defaults: exit code 2 and one line on stderr with the estimate, the
    budget (the limit) and what to change, not a MemoryError, a traceback or the
    kernel's kill.

    RLIMIT_AS is usable with torch, measured on Linux with torch 2.13: it counts address
    space, not resident memory. After ``import torch`` the process maps about 0.6 GB
    (VmSize) of which 0.22 GB is resident; each further thread maps its stack and, where
    the limit leaves room, a 64 MiB malloc arena (16 OpenMP threads: VmSize 1.9 GB
    against 0.25 GB resident; under a 0.75 GB limit the same 16 threads still run, their
    arenas not made). So the limit is set from VmSize, not from resident memory: the
    child runs one thread, makes a tiny restoration first (torch's kernels and arenas),
    and sets the limit at its VmSize then (about 0.73 GB) plus 400 MiB. The small
    restoration runs under it again, and the 12 MP restoration, estimated at 1.1 GiB
    (1.06 GiB measured without a limit), is refused. Let through (``--max-memory 64G``)
    it dies under the same limit with a MemoryError and its traceback, exit code 1,
    while choosing the colour channel: the limit bites on its allocations.
    """
    import tifffile

    big = tmp_path / "big.tif"
    tifffile.imwrite(big, np.random.default_rng(0).integers(0, 40, (4000, 3000, 3), dtype=np.uint8))
    env = dict(os.environ, OMP_NUM_THREADS="1", MALLOC_ARENA_MAX="2")

    def under_the_limit(*flags):
        return subprocess.run([sys.executable, "-c", HARD_LIMIT_CHILD,
                               json.dumps([str(big), str(tmp_path / "o"), 400 * 2**20, list(flags)])],
                              capture_output=True, text=True, env=env, timeout=600)

    done = under_the_limit()
    report = json.loads(done.stdout.strip().splitlines()[0])
    print(f"VmSize after import and warm-up {report['vmsize'] / 2**20:.0f} MiB; {done.stderr.strip()}")
    assert done.returncode == 2, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[-3000:]
    assert lines[0].startswith("histdip restore: error: ") and str(big) in lines[0]
    for needle in ("4000 x 3000", "needs about", "RLIMIT_AS", "--max-memory", "histdip restore IMAGE.ome.zarr"):
        assert needle in lines[0], lines[0]
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
    # The limit bites on the restoration's own allocations: let through, it fails part way.
    let_through = under_the_limit("--max-memory", "64G")
    assert let_through.returncode == 1 and "MemoryError" in let_through.stderr, let_through.stderr[-3000:]
