"""`histdip restore` on a brightfield photo with no flags, `histdip simulate --kind
brightfield`, and the bad forms of a brightfield input (one-line errors)."""

import json

import numpy as np
import pytest
import tifffile

from histdip.io import read_image
from tests.helpers import assert_one_line_error, cli, files_under, save_png


@pytest.fixture(scope="module")
def bright_photo(tmp_path_factory):
    from histdip.simulate import simulate_brightfield

    scene = simulate_brightfield((72, 88), seed=11, n_objects=(40, 40), radius=(3.0, 6.0))
    path = tmp_path_factory.mktemp("bf") / "field.png"
    save_png(path, scene.noisy_rgb)
    return path, scene


def test_restore_brightfield_photo_with_no_flags(tmp_path, capsys, bright_photo):
    photo, scene = bright_photo
    rc, out, err = cli(capsys, "restore", photo, "--outdir", tmp_path, "-q")
    assert rc == 0, err
    record = json.loads((tmp_path / "field_histdip.json").read_text())
    run = record.get("run", record)
    assert run["polarity"] == "dark" and "auto" in run["polarity_reason"]
    assert run["primary"] == "recording" and "brightfield" in run["primary_reason"]
    output = tifffile.imread(tmp_path / "field_histdip.tif")
    signal = tifffile.imread(tmp_path / "field_histdip_signal.tif")
    green = read_image(photo)[..., 1].astype(np.float64)
    # The output looks like the input: dark objects on the bright field, on its scale.
    assert np.corrcoef(output.ravel(), green.ravel())[0, 1] > 0.8
    assert output[scene.support].mean() < output[~scene.support].mean() - 10
    assert abs(float(np.median(output)) - float(np.median(green))) < 15  # 6% of full scale
    # The signal is the objects' contrast: >= 0 and high on the objects.
    assert signal.min() >= 0 and signal[scene.support].mean() > 3 * signal[~scene.support].mean()


def test_simulate_brightfield_writes_a_scene(tmp_path, capsys):
    rc, out, err = cli(capsys, "simulate", tmp_path, "--kind", "brightfield", "--size", "48x64")
    assert rc == 0, err
    names = sorted(str(p).split("/")[-1] for p in files_under(tmp_path))
    assert "brightfield_0000_photo.png" in names and "brightfield_0000_clean.tif" in names
    assert read_image(tmp_path / "brightfield_0000_photo.png").shape == (48, 64, 3)


def test_simulate_brightfield_too_small_is_one_line(tmp_path, capsys):
    rc, _, err = cli(capsys, "simulate", tmp_path / "s", "--kind", "brightfield", "--size", "20x64")
    assert rc == 2
    assert_one_line_error(err, "simulate", "at least 32")


@pytest.mark.parametrize("polarity", ["auto", "dark"])
def test_overexposed_field_is_a_one_line_error(tmp_path, capsys, polarity):
    flat = save_png(tmp_path / "flat.png", np.full((40, 48, 3), 255, np.uint8))
    rc, _, err = cli(capsys, "restore", flat, "--polarity", polarity, "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", flat, "overexposed")
    assert files_under(tmp_path / "out") == []


def test_an_empty_bright_field_comes_back_as_it_was(tmp_path, capsys):
    flat = save_png(tmp_path / "flat.png", np.full((40, 48, 3), 200, np.uint8))
    rc, _, err = cli(capsys, "restore", flat, "--polarity", "dark", "--iterations", "20", "--outdir", tmp_path, "-q")
    assert rc == 0, err
    output = tifffile.imread(tmp_path / "flat_histdip.tif")
    # Flat, nothing invented; the fit's floor of 20 steps darkens it a little.
    assert output.std() < 0.5 and abs(float(output.mean()) - 200) < 8


def test_bad_polarity_in_a_config_file_is_one_line(tmp_path, capsys, bright_photo):
    photo, _ = bright_photo
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"schema_version": 3, "polarity": "sideways"}))
    rc, _, err = cli(capsys, "restore", photo, "--config", config, "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", "polarity")
