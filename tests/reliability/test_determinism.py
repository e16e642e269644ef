"""The same seed and settings give the same output bit for bit, on the CPU at a given
number of torch threads: in one process, across processes, and from a saved JSON
through the command line and the Python API.

What differs between thread counts, and on a GPU, and why: docs/reliability.md
(Determinism, fuzzing and logs).
"""

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

import histdip
from histdip.io import read_image

SAMPLE = Path(histdip.__file__).parent / "data" / "sample_beads.png"

#: A short fit of the default settings: the learned split, crops, the noise-level rule.
SHORT = dict(iterations=40, seed=3)

#: Restores the photo at argv[1] with torch at argv[2] threads; prints the digest of
#: the output and of each layer, and saves the output to argv[3].
CHILD = textwrap.dedent("""
    import json, hashlib, sys
    import numpy as np, torch
    torch.set_num_threads(int(sys.argv[2]))
    import histdip, imageio.v3 as iio
    result = histdip.restore_detailed(iio.imread(sys.argv[1]), **json.loads(sys.argv[4]))
    np.save(sys.argv[3], result.image)
    digests = {name: hashlib.sha256(np.ascontiguousarray(layer).tobytes()).hexdigest()
               for name, layer in {"image": result.image, **(result.layers or {})}.items() if name != "split"}
    print(json.dumps({"threads": torch.get_num_threads(), "iterations": result.fit.iterations, **digests}))
""")


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """A 96 x 128 crop of the bundled photo with beads in it."""
    path = tmp_path_factory.mktemp("det") / "crop.png"
    iio.imwrite(path, iio.imread(SAMPLE)[400:496, 500:628, :3])
    return path


def child_run(photo, threads, out, options=SHORT):
    # Passive OpenMP workers: spinning ones slow two threads on a busy machine many-fold
    # (the waiting policy changes no arithmetic).
    env = {**{k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}, "OMP_WAIT_POLICY": "PASSIVE"}
    done = subprocess.run([sys.executable, "-c", CHILD, str(photo), str(threads), str(out), json.dumps(options)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["threads"] == threads
    return report


def digest(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def test_the_same_run_twice_in_one_process_is_bit_identical(photo):
    image = iio.imread(photo)
    a, b = (histdip.restore_detailed(image, **SHORT) for _ in range(2))
    assert a.image.tobytes() == b.image.tobytes()
    for name in ("signal", "recording", "background"):
        assert a.layers[name].tobytes() == b.layers[name].tobytes(), name
    assert a.fit.loss == b.fit.loss


@pytest.mark.parametrize("threads", [1, 2])
def test_separate_processes_at_the_same_thread_count_are_bit_identical(photo, tmp_path, threads):
    first = child_run(photo, threads, tmp_path / "a.npy")
    second = child_run(photo, threads, tmp_path / "b.npy")
    assert first == second
    if threads == 1:  # this process runs at one thread too (tests/conftest.py)
        assert first["image"] == digest(histdip.restore_detailed(iio.imread(photo), **SHORT).image)


def test_a_different_seed_changes_the_output(photo):
    # Guards the tests above: an output that ignored the seed would pass them too.
    image = iio.imread(photo)
    assert digest(histdip.restore(image, **SHORT)) != digest(histdip.restore(image, **{**SHORT, "seed": 4}))


def histdip_cli(*args, cwd):
    exe = Path(sys.executable).with_name("histdip")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "histdip"]
    # One thread, as this process: the API's run below is then the CLI's, bit for bit.
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(command + [str(a) for a in args], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_saved_json_reproduces_the_tiff_bytes_on_the_command_line_and_in_python(photo, tmp_path):
    histdip_cli("restore", photo, "-o", tmp_path / "first.tif", "--iterations", "40", "--seed", "3", "-q",
                cwd=tmp_path)
    histdip_cli("restore", photo, "--config", tmp_path / "first.json", "-o", tmp_path / "again.tif", "-q",
                cwd=tmp_path)
    for suffix in ("", "_signal", "_recording", "_background"):
        first, again = ((tmp_path / f"{stem}{suffix}.tif").read_bytes() for stem in ("first", "again"))
        assert first == again, suffix  # the file, not only its pixels
    saved = tifffile.imread(tmp_path / "first.tif")
    image = read_image(photo)
    from_file = histdip.restore_detailed(image, tmp_path / "first.json")
    assert from_file.image.tobytes() == saved.tobytes()
    from_file.config.save(tmp_path / "resaved.json")
    assert histdip.restore(image, tmp_path / "resaved.json").tobytes() == saved.tobytes()
    record = json.loads((tmp_path / "first.json").read_text())
    assert record["run"]["iterations"] == from_file.fit.iterations
