"""`histdip fit` and `histdip apply`: the paper's validation mode on the command line, and its chain to score."""

import json

import pytest
import tifffile

from histdip.config import SCHEMA_VERSION

from tests.helpers import assert_one_line_error, beads, cli, files_under, save_png


def test_fit_then_apply(tmp_path, capsys):
    train = save_png(tmp_path / "train.png", beads((48, 64)))
    other = save_png(tmp_path / "other.png", beads((37, 53), seed=3))
    model = tmp_path / "models" / "m.pt"
    rc, _, err = cli(capsys, "fit", train, "-o", model, "--iterations", "2", "-q")
    assert rc == 0, err
    assert sorted(p.name for p in model.parent.iterdir()) == ["m.json", "m.pt"]
    rc, _, err = cli(capsys, "fit", train, "-o", model, "--iterations", "2", "-q")
    assert rc == 2
    assert_one_line_error(err, "fit", "already exists")
    rc, _, err = cli(capsys, "apply", model, train, other, "--outdir", tmp_path / "out", "--side-by-side", "-q")
    assert rc == 0, err
    assert tifffile.imread(tmp_path / "out" / "train_applied.tif").shape == (48, 64)
    assert tifffile.imread(tmp_path / "out" / "other_applied.tif").shape == (37, 53)
    assert (tmp_path / "out" / "other_applied_side_by_side.png").exists()


def test_fit_refuses_threshold_method_and_bad_model_file(tmp_path, capsys):
    train = save_png(tmp_path / "train.png", beads())
    rc, _, err = cli(capsys, "fit", train, "-o", tmp_path / "m.txt", "-q")
    assert rc == 2
    assert_one_line_error(err, "fit", ".pt")
    not_a_model = tmp_path / "fake.pt"
    not_a_model.write_text("hello")
    rc, _, err = cli(capsys, "apply", not_a_model, train, "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "apply", not_a_model, "not a histdip model")
    assert files_under(tmp_path / "out") == []


def test_fit_apply_score_chain(tmp_path, capsys):
    """What fit writes, apply reads; what apply writes, score reads."""
    train = save_png(tmp_path / "train.png", beads((48, 64), rgb=True))
    rc, _, err = cli(capsys, "fit", train, "-o", tmp_path / "m.pt", "--threshold", "100", "--iterations", "3", "-q")
    assert rc == 0, err
    sidecar = json.loads((tmp_path / "m.json").read_text())
    assert sidecar["run"]["threshold"] == 100 and sidecar["histdip_config_version"] == SCHEMA_VERSION
    rc, _, err = cli(capsys, "apply", tmp_path / "m.pt", train, "-o", tmp_path / "a.tif", "-q")
    assert rc == 0, err
    rc, out, err = cli(capsys, "score", train, "--protocol", "paper", "--threshold", "100", "--restored",
                       tmp_path / "a.tif", "--json")
    assert rc == 0, err
    scores = json.loads(out)
    assert scores["circular"] is True and scores["restored_scale"] == 255.0
    # and the fit's sidecar reruns the fit's settings with restore
    rc, _, err = cli(capsys, "restore", train, "--config", tmp_path / "m.json", "-o", tmp_path / "r.tif", "-q")
    assert rc == 0, err
    assert json.loads((tmp_path / "r.json").read_text())["histdip_config"] == sidecar["histdip_config"]


@pytest.mark.data
def test_the_papers_t_fits_the_papers_photo(shared_data, tmp_path, capsys):
    """`histdip fit d.png --threshold 143`: the paper's T on its own photo (the README's example)."""
    photo = shared_data / "smartphone-beads" / "d.png"
    if not photo.exists():
        pytest.skip(f"{photo} not found")
    rc, _, err = cli(capsys, "fit", photo, "-o", tmp_path / "m.pt", "--threshold", "143", "--iterations", "2", "-q")
    assert rc == 0, err
    record = json.loads((tmp_path / "m.json").read_text())["run"]
    assert record["threshold"] == 143 and 0.005 < record["foreground_fraction"] < 0.05
