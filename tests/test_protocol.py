"""histdip.protocol: the HIST-DIP paper's circular evaluation, as its code does it."""

import imageio.v3 as iio
import numpy as np
import pytest

from histdip import protocol
from histdip.errors import InputError

# The paper's hand-picked thresholds (shared data smartphone-beads/SOURCE.md).
PAPER_T = {"a": 125, "b": 152, "c": 50, "d": 143, "e": 62, "f": 75, "g": 150, "h": 59, "i": 80, "j": 148}


def _blocks_photo():
    photo = np.zeros((32, 32, 3), np.uint8)
    photo[:, :16] = 200  # flat 8x8-aligned blocks survive JPEG almost exactly
    photo[:, 16:] = 100
    return photo


def _random_photo_and_output(seed, photo_shape=(40, 48, 3), output_shape=None):
    rng = np.random.default_rng(seed)
    photo = (rng.random(photo_shape) * 255).astype(np.uint8)
    return photo, rng.random(output_shape or photo_shape)


def test_paper_mask_is_strict_on_truncated_8bit_luma():
    grey = np.array([[149, 150, 151]], np.uint8)
    assert protocol.paper_mask(grey, 150).tolist() == [[False, False, True]]  # grey > T, strict
    green = np.zeros((1, 1, 3), np.uint8)
    green[..., 1] = 255  # luma 149.685 -> 8-bit grey 149
    assert not protocol.paper_mask(green, 149)[0, 0]
    assert protocol.paper_mask(green, 148)[0, 0]


def test_paper_reference_and_scores_are_labelled_circular():
    photo = _blocks_photo()
    ref = protocol.paper_reference(photo, 150)
    assert ref.dtype == np.uint8 and ref.shape == photo.shape
    assert np.abs(ref[:, :16].astype(int) - 200).max() <= 2
    assert ref[:, 16:].max() <= 2
    before = protocol.paper_before(photo, 150)
    assert before.circular is True and before.note == protocol.CIRCULAR_NOTE
    assert before.to_dict()["circular"] is True and before.to_dict()["compared_shape"] == [32, 32, 3]
    # Thresholding alone scores (almost) perfectly: the protocol rewards copying its own mask.
    assert protocol.paper_scores(ref, photo, 150).psnr > 40


def test_paper_ssim_uses_the_papers_grey_weights():
    photo, out = _random_photo_and_output(6)
    ref = protocol.paper_reference(photo, 100) / 255.0
    expected = protocol.ssim(out @ protocol.PAPER_SSIM_WEIGHTS, ref @ protocol.PAPER_SSIM_WEIGHTS, data_range=1.0)
    assert protocol.paper_scores(out, photo, 100).ssim == pytest.approx(expected, abs=1e-12)
    assert protocol.paper_scores(out, photo, 100).psnr == pytest.approx(protocol.psnr(out, ref, data_range=1.0))


def test_paper_scores_resizing():
    photo, out = _random_photo_and_output(4, output_shape=(32, 40, 3))
    scores = protocol.paper_scores(out, photo, 100)
    assert scores.compared_shape == (32, 40, 3) and scores.reference_shape == (40, 48, 3)  # paper: GT resized
    assert protocol.paper_scores(out, photo, 100, resize="restored").compared_shape == (40, 48, 3)
    with pytest.raises(InputError, match="resize"):
        protocol.paper_scores(out, photo, 100, resize="both")
    with pytest.raises(InputError, match="8-bit"):
        protocol.paper_reference(photo.astype(np.uint16), 100)


def test_float_output_on_0_255_scores_like_the_same_output_on_0_1():
    photo, unit = _random_photo_and_output(7)
    on_unit = protocol.paper_scores(unit, photo, 100)
    on_255 = protocol.paper_scores((255.0 * unit).astype(np.float32), photo, 100, data_range=255.0)
    assert on_255.psnr == pytest.approx(on_unit.psnr, abs=1e-4)
    assert on_255.ssim == pytest.approx(on_unit.ssim, abs=1e-5)
    # a grey output is replicated to RGB on either scale
    grey = unit[..., 1]
    assert protocol.paper_scores(255.0 * grey, photo, 100, data_range=255.0).psnr == pytest.approx(
        protocol.paper_scores(grey, photo, 100).psnr, abs=1e-9)


@pytest.mark.parametrize("scale, data_range", [(255.0, 1.0), (-1.0, 1.0), (1000.0, 255.0)])
def test_float_output_outside_its_scale_is_refused_in_one_line(scale, data_range):
    photo = _blocks_photo()
    out = np.linspace(0.0, 1.0, photo.size).reshape(photo.shape) * scale
    with pytest.raises(InputError, match="outside its scale") as info:
        protocol.paper_scores(out, photo, 150, data_range=data_range)
    assert "\n" not in str(info.value) and f"[0, {data_range:g}]" in str(info.value)


def test_small_overshoot_of_a_fitted_output_is_accepted():
    photo = _blocks_photo()
    out = protocol.paper_reference(photo, 150) / 255.0 * 1.005 - 0.002  # rounding overshoot both ways
    assert protocol.paper_scores(out, photo, 150).psnr > 40


@pytest.mark.parametrize("bad, needle", [(np.full((32, 32, 3), np.nan), "NaN"),
                                         (np.zeros((32, 32, 5)), "shape"),
                                         (np.zeros((32, 32, 3), np.int8), "dtype")])
def test_bad_restored_images_are_refused(bad, needle):
    with pytest.raises(InputError, match=needle):
        protocol.paper_scores(bad, _blocks_photo(), 150)


@pytest.mark.data
def test_paper_before_figures_on_published_photos(shared_data):
    folder = shared_data / "smartphone-beads"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    scores = [protocol.paper_before(iio.imread(folder / f"{k}.png"), t) for k, t in PAPER_T.items()]
    # Recomputed from these files: 15.33 dB and 0.0351 (paper: 15.59 dB, 0.035).
    assert np.mean([s.psnr for s in scores]) == pytest.approx(15.33, abs=0.02)
    assert np.mean([s.ssim for s in scores]) == pytest.approx(0.0351, abs=0.0002)
    assert all(s.circular for s in scores)
    # Circularity made visible: thresholding alone beats the paper's HIST-DIP (27.10 dB, 0.82).
    photo = iio.imread(folder / "a.png")
    thresholded = photo * protocol.paper_mask(photo, PAPER_T["a"])[..., None].astype(np.uint8)
    alone = protocol.paper_scores(thresholded, photo, PAPER_T["a"])
    assert alone.psnr > 30 and alone.ssim > 0.9
