"""histdip.tiled: fit once on a crop, apply tile by tile, in memory bounded by the tile."""

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest
import zarr
from ome_zarr.writer import write_multiscales_metadata

from histdip.errors import ConfigError
from histdip.fitted_model import apply_model
from histdip.io.omezarr import open_omezarr
from histdip.tiled import choose_fit_crop, restore_tiled, tile_config, tile_halo, tile_windows
from histdip.validate import Image

FEW = dict(iterations=5, stopping={"rule": "fixed"})
#: Small networks: the tests check tiling, not restoration quality.
SMALL_NET = {"channels_down": [8] * 4, "channels_up": [8] * 4, "channels_skip": [2] * 4}
TINY_NET = {"channels_down": [4] * 4, "channels_up": [4] * 4, "channels_skip": [1] * 4, "clamp": False}


def write_beads(path, size, *, chunk=256, seed=0, channels=None):
    """An OME-Zarr image of Gaussian beads on noise, (size, size) uint8, written chunk by
    chunk: the test never holds it whole. ``channels``: a c axis of that many."""
    group = zarr.open_group(str(path), mode="w", zarr_format=2)
    shape = (size, size) if channels is None else (channels, size, size)
    chunks = (chunk, chunk) if channels is None else (1, chunk, chunk)
    array = group.create_array("0", shape=shape, chunks=chunks, dtype="uint8")
    for c in range(channels or 1):
        for y in range(0, size, chunk):
            for x in range(0, size, chunk):
                rng = np.random.default_rng([seed, c, y, x])
                h, w = min(chunk, size - y), min(chunk, size - x)
                block = rng.normal(20, 4, (h, w))
                yy, xx = np.mgrid[:h, :w]
                for cy, cx in rng.integers(4, max(5, min(h, w) - 4), (6, 2)):
                    block += 150 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0)
                where = (slice(y, y + h), slice(x, x + w))
                array[where if channels is None else (c, *where)] = np.clip(block, 0, 255).astype(np.uint8)
    axes = [{"name": "y", "type": "space", "unit": "micrometer"}, {"name": "x", "type": "space", "unit": "micrometer"}]
    if channels is not None:
        axes.insert(0, {"name": "c", "type": "channel"})
    scale = [1.0] * (len(shape) - 2) + [0.5, 0.25]
    write_multiscales_metadata(group, [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": scale}]}],
                               axes=axes)
    return path


def test_windows_cover_the_image_once_and_start_on_the_network_grid():
    shape, tile, halo, m, pads = (200, 150), 64, 32, 16, (4, 4, 5, 5)
    seen = np.zeros(shape, int)
    for (y0, y1, x0, x1), (wy0, wy1, wx0, wx1) in tile_windows(shape, tile, halo, m, pads):
        seen[y0:y1, x0:x1] += 1
        assert (wy0 + pads[0]) % m == 0 and (wx0 + pads[2]) % m == 0
        assert (wy1 - wy0) % m == 0 and (wx1 - wx0) % m == 0
        assert wy0 >= -pads[0] and wy1 <= shape[0] + pads[1]
        # a full halo wherever the padded image has one
        assert y0 - wy0 >= min(halo, y0 + pads[0]) and x1 + min(halo, shape[1] + pads[3] - x1) <= wx1
    assert (seen == 1).all()


def test_the_fit_crop_is_where_the_objects_are_and_the_same_every_time():
    preview = np.random.default_rng(0).normal(10, 1, (64, 64))
    preview[:, :20] += 50  # a bright, smooth haze: not signal
    preview[40:44, 50:54] += 80
    crop = choose_fit_crop(preview, (4.0, 4.0), (256, 256), 64)
    y, x, h, w = crop
    assert (h, w) == (64, 64) and y <= 160 < 176 <= y + h and x <= 200 < 216 <= x + w
    assert choose_fit_crop(preview, (4.0, 4.0), (256, 256), 64) == crop
    assert choose_fit_crop(preview, (4.0, 4.0), (40, 30), 64) == (0, 0, 40, 30)


def test_the_halo_reaches_as_far_as_the_background_estimate():
    from histdip.config import resolve_config

    assert tile_halo(64, resolve_config(background="none", threshold=50), 16) == 64
    assert tile_halo(64, resolve_config(background_radius=25.0), 16) == 160  # 6 radii, rounded up to 16
    assert tile_halo(10, resolve_config(background="none", threshold=50), 16) == 16


def _capture_models(monkeypatch):
    import histdip.tiled as tiled

    models, fit = [], tiled.fit_model

    def keep(*args, **kwargs):
        models.append(fit(*args, **kwargs))
        return models[-1]

    monkeypatch.setattr(tiled, "fit_model", keep)
    return models


def test_tiles_equal_the_whole_image_applied_at_once(tmp_path, monkeypatch):
    """With the prior pixel by pixel (a given T, no background, the grey unsmoothed), the
    tiled output is the whole-image apply_model of the same fitted network to float
    tolerance, at the tile seams and the image edges too: a 64-pixel halo covers the
    network's reach and the windows meet the network's scales where the whole image
    does. (Smoothed, the grey differs within a few pixels of the image edges, where a
    window's own mirror replaces the image's: the interior still matches.)"""
    models = _capture_models(monkeypatch)
    src = write_beads(tmp_path / "in.ome.zarr", 300, chunk=100)
    record = restore_tiled(src, tmp_path / "out.ome.zarr", tile=96, halo=64, fit_size=128, threshold=60,
                           background="none", threshold_smooth=0.0, **FEW)
    assert record["tiles"] == 16 and record["halo"] == 64 and record["iterations"] == 5
    tiled = np.asarray(open_omezarr(tmp_path / "out.ome.zarr").array)
    whole_image = np.asarray(zarr.open_array(str(src / "0")))
    model = models[0]
    whole = apply_model(replace(model, config=tile_config(model, "grey")), Image(whole_image, 0.0, 255.0))
    assert tiled.dtype == np.float32 and tiled.shape == whole.shape
    np.testing.assert_allclose(tiled, whole, atol=1e-4 * float(np.ptp(whole)), rtol=0)
    smoothed = restore_tiled(src, tmp_path / "smoothed.ome.zarr", tile=96, halo=64, fit_size=128, threshold=60,
                             background="none", **FEW)
    tiled = np.asarray(open_omezarr(tmp_path / "smoothed.ome.zarr").array)
    model = models[1]
    whole = apply_model(replace(model, config=tile_config(model, "grey")), Image(whole_image, 0.0, 255.0))
    inner = (slice(8, -8),) * 2
    assert smoothed["tiles"] == 16
    np.testing.assert_allclose(tiled[inner], whole[inner], atol=1e-4 * float(np.ptp(whole)), rtol=0)


def test_with_the_default_background_tiles_stay_close_to_the_whole_image(tmp_path, monkeypatch):
    """The default subtracts a background estimated on each tile's window: not exact, but
    with the halo raised to the background's reach within 1% of the output's range."""
    models = _capture_models(monkeypatch)
    src = write_beads(tmp_path / "in.ome.zarr", 320, chunk=128)
    record = restore_tiled(src, tmp_path / "out.ome.zarr", tile=128, fit_size=128, network=SMALL_NET,
                           primary="signal", **FEW)
    assert record["background"] == "envelope" and record["halo"] >= 64
    tiled = np.asarray(open_omezarr(tmp_path / "out.ome.zarr").array)
    model = models[0]
    whole = apply_model(replace(model, config=tile_config(model, "grey")),
                        Image(np.asarray(zarr.open_array(str(src / "0"))), 0.0, 255.0))
    assert np.abs(tiled - whole).max() <= 0.01 * float(np.ptp(whole))


def test_the_record_and_a_rerun_are_deterministic(tmp_path):
    src = write_beads(tmp_path / "in.ome.zarr", 160, chunk=64)
    a = restore_tiled(src, tmp_path / "a.ome.zarr", tile=64, fit_size=96, network=SMALL_NET, seed=3, **FEW)
    b = restore_tiled(src, tmp_path / "b.ome.zarr", tile=64, fit_size=96, network=SMALL_NET, seed=3, **FEW)
    for key in ("fit_crop", "threshold", "iterations", "stop_reason", "tiles"):
        assert a[key] == b[key]
    assert a["fit_crop"]["height"] == 96 and a["tiles"] == 9 and a["seconds"] > 0
    json.dumps(a)  # the CLI saves it as JSON
    np.testing.assert_array_equal(np.asarray(open_omezarr(tmp_path / "a.ome.zarr").array),
                                  np.asarray(open_omezarr(tmp_path / "b.ome.zarr").array))


def test_a_channel_axis_is_restored_plane_by_plane(tmp_path):
    src = write_beads(tmp_path / "in.ome.zarr", 96, chunk=64, channels=2)
    record = restore_tiled(src, tmp_path / "out.ome.zarr", tile=64, fit_size=64, network=SMALL_NET, **FEW)
    out = open_omezarr(tmp_path / "out.ome.zarr")
    assert out.axes == ("c", "y", "x") and out.shape == (2, 96, 96)
    assert [p["plane"] for p in record["planes"]] == [{"c": 0}, {"c": 1}] and record["tiles"] == 8
    assert float(np.asarray(out.array[1]).std()) > 0


def test_refusals_are_one_line_and_leave_nothing(tmp_path):
    src = write_beads(tmp_path / "in.ome.zarr", 64)
    with pytest.raises(ConfigError, match="fits no network"):
        restore_tiled(src, tmp_path / "o.ome.zarr", method="threshold", threshold=50)
    with pytest.raises(ConfigError, match="input='image'"):
        restore_tiled(src, tmp_path / "o.ome.zarr", input="noise", **FEW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ome.zarr"]


#: The child process of the memory tests: restores a small image first (imports, torch's
#: kernels, dask's threads, the allocator's heap: costs that do not grow with the image),
#: then caps its heap (RLIMIT_DATA) at CAP bytes above what it holds, and restores the
#: large image under that cap. It prints its peak resident memory before and after.
CHILD = textwrap.dedent("""
    import json, resource, sys, threading
    threading.stack_size(1 << 20)  # dask and zarr start threads as they go: 1 MiB stacks, not 8
    import torch
    torch.set_num_threads(1)
    from histdip.tiled import restore_tiled
    small, large, out, cap, options = json.loads(sys.argv[1])
    def data():
        return next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmData"))
    restore_tiled(small, out + "_warm", **options)
    warm_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (data() + cap,) * 2)
    record = restore_tiled(large, out, **options)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"warm_rss": warm_rss, "peak_rss": peak_rss, "tiles": record["tiles"]}))
""")


def _restore_under_a_cap(tmp_path, size, tile, options, share):
    """Restore a size x size image in a child process whose heap may grow by ``share`` of
    the image's float32 size once warmed up; returns (float32 bytes, cap, the child's report)."""
    small = write_beads(tmp_path / "small.ome.zarr", 3 * tile, chunk=tile)
    large = write_beads(tmp_path / "large.ome.zarr", size, chunk=tile)
    f32 = size * size * 4
    cap = int(f32 * share)
    # glibc returns freed memory to the system and maps large blocks afresh; kept, the
    # heap the small run used is reused and the cap counts only what the large image adds.
    env = dict(os.environ, OMP_NUM_THREADS="1", MALLOC_TRIM_THRESHOLD_=str(2**40),
               MALLOC_MMAP_THRESHOLD_=str(2**25), MALLOC_ARENA_MAX="1")
    args = json.dumps([str(small), str(large), str(tmp_path / "out.ome.zarr"), cap, {"tile": tile, **options}])
    done = subprocess.run([sys.executable, "-c", CHILD, args], capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    out = open_omezarr(tmp_path / "out.ome.zarr")
    assert out.shape == (size, size) and out.dtype == np.float32
    assert float(np.asarray(out.levels[-1]).std()) > 0  # the restoration was written, not zeros
    print(f"{size} x {size}: float32 {f32 / 2**20:.0f} MiB, heap cap {cap / 2**20:.0f} MiB, peak RSS "
          f"{report['peak_rss'] / 2**20:.0f} MiB, {(report['peak_rss'] - report['warm_rss']) / 2**20:.1f} MiB "
          "above the warmed-up run")
    return f32, cap, report


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA and /proc: Linux")


@linux_only
def test_an_image_twice_the_memory_cap_restores(tmp_path):
    """The memory bound, in the default run: a 4096 x 4096 image (64 MiB as float32)
    restores in a process whose heap may grow by 32 MiB once warmed up, and whose peak
    resident memory grows by less than that.

    RLIMIT_DATA counts the heap and the anonymous mappings actually made writable (an
    RLIMIT_AS would have to start from the address space torch and its threads map
    without touching, as tests/test_memory.py does); torch runs under it; it is set after a 1536 x 1536 image has been
    restored (imports, torch's kernels, dask's threads: costs that do not grow with the
    image), so the cap measures what a larger image adds. A float32 copy of the image
    would not fit in it. The budget check before each fit (histdip.memory) is lifted
    (``max_memory``): it counts a first run's fixed costs, which the warm-up has paid,
    and would refuse what this test shows fits. The allocator's fragmentation moves the heap by some 10 MiB
    from run to run, so this fast test allows half the image; the slow one a quarter.
    """
    f32, cap, report = _restore_under_a_cap(tmp_path, 4096, 512, dict(
        fit_size=128, threshold=60, background="none", network=TINY_NET, max_memory="64G", **FEW), 0.5)
    assert report["tiles"] == 64
    assert report["peak_rss"] - report["warm_rss"] < cap


@pytest.mark.slow
@linux_only
def test_an_8000_pixel_image_restores_with_the_default_settings_under_a_cap(tmp_path):
    """8000 x 8000 (61 MiB as uint8, 244 MiB as float32, 488 MiB as the float64 the
    pipeline works in) with the default settings (learned split, envelope background),
    5 fixed steps: the heap may grow by 61 MiB, a quarter of the float32 image, beyond
    a warmed-up 1536 x 1536 run, and the peak resident memory by less than that. The
    background radius is given, so that both runs read tiles with the same halo: a
    radius decided on each image's crop sets the halo, hence the window and what a tile
    legitimately needs, differently for the two images."""
    f32, cap, report = _restore_under_a_cap(tmp_path, 8000, 512, dict(fit_size=256, background_radius=16.0, max_memory="64G",
                                                                        **FEW), 0.25)
    assert report["tiles"] == 256
    assert report["peak_rss"] - report["warm_rss"] < cap


def test_the_command_line_writes_the_image_and_its_json_beside_it(tmp_path, capsys):
    from argparse import Namespace

    from histdip.cli.zarr_restore import is_zarr, restore_zarr_one
    from histdip.config import resolve_config

    src = write_beads(tmp_path / "cells.ome.zarr", 96, chunk=64)
    assert is_zarr(src) and not is_zarr(tmp_path / "cells.tif")
    config = resolve_config(network=SMALL_NET, **FEW)
    args = Namespace(overwrite=False, quiet=True)
    outdir = tmp_path / "histdip-output"
    restore_zarr_one(src, outdir / "cells.ome_histdip.tif", config, args, [src])
    assert sorted(p.name for p in outdir.iterdir()) == ["cells_histdip.json", "cells_histdip.ome.zarr"]
    saved = json.loads((outdir / "cells_histdip.json").read_text())
    assert saved["run"]["tiles"] == 1 and saved["input"] == str(src) and "histdip_config" in saved
    assert open_omezarr(outdir / "cells_histdip.ome.zarr").shape == (96, 96)
    with pytest.raises(Exception, match="already exists"):
        restore_zarr_one(src, outdir / "cells.ome_histdip.tif", config, args, [src])
    assert capsys.readouterr().out == ""
