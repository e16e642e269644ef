"""`histdip simulate`: the five files of each scene, as simulate_scene makes it."""

import csv
import json

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from histdip.simulate import simulate_scene
from tests.helpers import assert_one_line_error, cli, files_under


def test_writes_all_files_of_each_scene(tmp_path, capsys):
    out = tmp_path / "sims"
    rc, printed, err = cli(capsys, "simulate", out, "--count", "2", "--seed", "5", "--size", "64x48",
                           "--bead-size", "10,12")
    assert rc == 0, err
    assert str(out.resolve()) in printed
    assert len(files_under(out)) == 10
    for seed in (5, 6):
        stem = out / f"beads_{seed:04d}"
        photo = iio.imread(f"{stem}_photo.png")
        assert photo.shape == (64, 48, 3) and photo.dtype == np.uint8
        clean = tifffile.imread(f"{stem}_clean.tif")
        assert clean.dtype == np.float32 and clean.shape == (64, 48)
        preview = iio.imread(f"{stem}_clean16.png")
        assert preview.dtype == np.uint16
        np.testing.assert_allclose(preview / 65535.0, clean, atol=1 / 65535)
        with open(f"{stem}_beads.csv") as fh:
            rows = list(csv.DictReader(fh))
        params = json.loads(open(f"{stem}_params.json").read())
        assert params["seed"] == seed and params["n_objects"] == len(rows)
        ref = simulate_scene(shape=(64, 48), seed=seed, bead_size=(10, 12))
        np.testing.assert_array_equal(ref.noisy_rgb, photo)
        np.testing.assert_array_equal(ref.clean, clean)
        np.testing.assert_allclose([float(r["x"]) for r in rows], ref.beads["x"], atol=1e-3)


def test_refuses_to_overwrite_unless_asked(tmp_path, capsys):
    args = ["simulate", tmp_path, "--kind", "filaments", "--size", "32x40"]
    assert cli(capsys, *args)[0] == 0
    before = (tmp_path / "filaments_0000_photo.png").read_bytes()
    rc, _, err = cli(capsys, *args, "--noise-level", "3")
    assert rc == 2
    assert_one_line_error(err, "simulate", "filaments_0000_photo.png", "already exists", "--overwrite")
    assert (tmp_path / "filaments_0000_photo.png").read_bytes() == before
    rc, _, err = cli(capsys, *args, "--noise-level", "3", "--overwrite")
    assert rc == 0, err
    assert (tmp_path / "filaments_0000_photo.png").read_bytes() != before


@pytest.mark.parametrize("bad, needle", [(["--size", "12"], "--size"), (["--size", "8x8"], ">= 16"),
                                         (["--count", "0"], "--count"), (["--seed", "-1"], "--seed"),
                                         (["--bead-size", "tiny"], "--bead-size"),
                                         (["--noise-level", "-1"], "--noise-level")])
def test_bad_options_are_one_line_and_write_nothing(tmp_path, capsys, bad, needle):
    rc, _, err = cli(capsys, "simulate", tmp_path / "out", *bad)
    assert rc == 2
    assert_one_line_error(err, "simulate", needle)
    assert not (tmp_path / "out").exists()


def test_output_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    rc, _, err = cli(capsys, "simulate", tmp_path / "f", "--size", "32x32")
    assert rc == 2
    assert_one_line_error(err, "simulate", "not a folder")
