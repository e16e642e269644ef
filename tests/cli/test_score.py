"""`histdip score`: plain PSNR/SSIM/CNR/SDNR against a reference, and the paper's
circular protocol, including on what `histdip restore` writes."""

import json
import math

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from histdip import metrics, protocol
from histdip.cli.main import main
from tests.helpers import assert_one_line_error, beads, cli, save_png


@pytest.fixture
def pngs(tmp_path):
    rng = np.random.default_rng(5)
    ref = (rng.random((24, 32)) * 200).astype(np.uint8)
    out = (ref + 10).astype(np.uint8)
    sig = np.zeros_like(ref)
    sig[:8] = 255
    bg = np.zeros_like(ref)
    bg[12:] = 255
    paths = {}
    for name, arr in (("ref", ref), ("out", out), ("sig", sig), ("bg", bg), ("small", ref[:16, :16])):
        paths[name] = save_png(tmp_path / f"{name}.png", arr)
    return paths, ref, out, sig, bg


def _json(capsys, *argv):
    rc, out, err = cli(capsys, "score", *argv, "--json")
    assert rc == 0, err
    return json.loads(out)


# ------------------------------------------------------------------ plain mode
def test_score_json(pngs, capsys):
    paths, ref, out, sig, bg = pngs
    result = _json(capsys, paths["out"], paths["ref"], "--signal-mask", paths["sig"], "--background-mask", paths["bg"])
    assert result["psnr"] == pytest.approx(20 * math.log10(25.5))  # every pixel off by 10 of 255
    assert result["ssim"] == pytest.approx(metrics.ssim(out, ref))
    assert result["cnr"] == pytest.approx(metrics.cnr(out, sig, bg))
    assert result["sdnr"] == pytest.approx(metrics.sdnr(out, sig, bg))
    assert _json(capsys, paths["ref"], paths["ref"])["psnr"] == "inf"


def test_score_errors_are_one_line(pngs, capsys, tmp_path):
    paths = pngs[0]
    rc, _, err = cli(capsys, "score", paths["out"], paths["small"])
    assert rc == 2
    assert_one_line_error(err, "score", "shapes differ")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png at all")
    rc, _, err = cli(capsys, "score", bad, paths["ref"])
    assert rc == 2
    assert_one_line_error(err, "score", bad)
    for args, needle in [([paths["ref"]], "REFERENCE"),
                         ([paths["out"], paths["ref"], "--signal-mask", paths["sig"]], "--background-mask"),
                         ([paths["out"], paths["ref"], "--threshold", "100"], "--protocol paper"),
                         ([paths["ref"], "--protocol", "paper"], "--threshold"),
                         ([paths["ref"], paths["out"], "--protocol", "paper", "--threshold", "100"], "--restored"),
                         ([paths["ref"], "--protocol", "paper", "--threshold", "100", "--affine"], "plain mode")]:
        rc, _, err = cli(capsys, "score", *args)
        assert rc == 2, args
        assert_one_line_error(err, "score", needle)


# ------------------------------------------------------------------ paper protocol
def test_score_paper_protocol(pngs, capsys):
    paths, ref, out, _, _ = pngs
    result = _json(capsys, paths["ref"], "--protocol", "paper", "--threshold", "100")
    expected = protocol.paper_before(ref, 100)
    assert result["circular"] is True and result["before"] is True
    assert result["psnr"] == pytest.approx(expected.psnr)
    assert result["ssim"] == pytest.approx(expected.ssim)
    result = _json(capsys, paths["ref"], "--protocol", "paper", "--threshold", "100", "--restored", paths["out"])
    assert result["before"] is False and result["restored_scale"] is None  # uint8: its dtype's scale
    assert result["psnr"] == pytest.approx(protocol.paper_scores(out, ref, 100).psnr)
    rc, text, err = cli(capsys, "score", paths["ref"], "--protocol", "paper", "--threshold", "100",
                        "--restored", paths["out"])
    assert rc == 0, err
    assert protocol.CIRCULAR_NOTE in text


@pytest.mark.parametrize("scale, flags, expected_scale", [(1.0, [], 1.0), (255.0, [], 255.0),
                                                          (100.0, ["--data-range", "100"], 100.0)])
def test_score_paper_protocol_reads_a_float_output_on_its_scale(tmp_path, capsys, scale, flags, expected_scale):
    photo = save_png(tmp_path / "photo.png", beads(rgb=True))
    unit = np.clip(beads(rgb=True, seed=1) / 255.0, 0, 1)
    tifffile.imwrite(tmp_path / "out.tif", (scale * unit).astype(np.float32), photometric="rgb")
    result = _json(capsys, photo, "--protocol", "paper", "--threshold", "100", "--restored", tmp_path / "out.tif",
                   *flags)
    assert result["restored_scale"] == expected_scale
    assert result["psnr"] == pytest.approx(protocol.paper_scores(unit, beads(rgb=True), 100).psnr, abs=1e-4)


def test_score_paper_protocol_refuses_what_it_cannot_score(tmp_path, capsys):
    photo = save_png(tmp_path / "photo.png", beads(rgb=True))
    tifffile.imwrite(tmp_path / "big.tif", np.full((48, 64), 300.0, np.float32))  # above 255: no scale fits
    rc, _, err = cli(capsys, "score", photo, "--protocol", "paper", "--threshold", "100", "--restored",
                     tmp_path / "big.tif")
    assert rc == 2
    assert_one_line_error(err, "score", "outside its scale", "--data-range")
    tifffile.imwrite(tmp_path / "photo16.tif", beads(dtype=np.uint16))
    rc, _, err = cli(capsys, "score", tmp_path / "photo16.tif", "--protocol", "paper", "--threshold", "100")
    assert rc == 2
    assert_one_line_error(err, "score", "8-bit photo", "uint16")


# ------------------------------------------------------------------ what restore writes
@pytest.fixture(scope="module")
def restored(tmp_path_factory):
    """A phone-like 8-bit RGB photo and `histdip restore`'s output for it (float on 0-255)."""
    folder = tmp_path_factory.mktemp("chain")
    photo = save_png(folder / "photo.png", beads(rgb=True))
    assert main(["restore", str(photo), "-o", str(folder / "out.tif"), "--iterations", "20", "-q"]) == 0
    return photo, folder / "out.tif"


def test_restore_then_score_with_the_paper_protocol(restored, capsys):
    photo, out = restored
    rc, text, err = cli(capsys, "score", photo, "--protocol", "paper", "--threshold", "100", "--restored", out)
    assert rc == 0, err
    assert "CIRCULAR" in text and "read on 0-255" in text
    result = _json(capsys, photo, "--protocol", "paper", "--threshold", "100", "--restored", out)
    image = tifffile.imread(out)
    assert image.dtype == np.float32 and image.max() > 1  # on the photo's own scale ...
    assert result["restored_scale"] == 255.0  # ... and read on it
    expected = protocol.paper_scores(image, iio.imread(photo), 100, data_range=255.0)
    assert result["psnr"] == pytest.approx(expected.psnr) and result["ssim"] == pytest.approx(expected.ssim)


def test_restore_then_score_plain_float_tiffs_affine(restored, capsys, tmp_path):
    _, out = restored
    image = tifffile.imread(out).astype(np.float64)
    gain, offset = 0.9 / 255.0, 0.05
    tifffile.imwrite(tmp_path / "ref.tif", (gain * image + offset).astype(np.float32))  # on [0, 1]
    result = _json(capsys, out, tmp_path / "ref.tif", "--affine")
    assert result["data_range"] == 1.0
    assert result["affine_gain"] == pytest.approx(gain, rel=1e-3)
    assert result["affine_offset"] == pytest.approx(offset, abs=1e-3)
    assert result["psnr"] < 0  # the output's 0-255 scale against a [0, 1] reference
    assert result["psnr_affine"] == "inf" or result["psnr_affine"] > 60
    assert result["ssim_affine"] == pytest.approx(1.0, abs=1e-4)
    # a float reference outside [0, 1] has no known peak: say so, or take --data-range
    tifffile.imwrite(tmp_path / "ref255.tif", image.astype(np.float32))
    rc, _, err = cli(capsys, "score", out, tmp_path / "ref255.tif", "--affine")
    assert rc == 2
    assert_one_line_error(err, "score", "data_range")
    assert _json(capsys, out, tmp_path / "ref255.tif", "--data-range", "255")["psnr"] == "inf"
