"""histdip.count: the counter on synthetic images whose beads are known."""

import csv

import numpy as np
import pytest
from scipy import ndimage as ndi

from histdip.count import (COLUMNS, Counts, count_objects, count_result, overlay, saturated_mask,
                           signal_noise_sigma)


def render(shape, beads, blur=1.0):
    """Flat discs (y, x, radius, brightness) blurred by a Gaussian PSF, and each bead's
    own image (for its true integral)."""
    yy, xx = np.indices(shape)
    own = [ndi.gaussian_filter(b * (np.hypot(yy - y, xx - x) <= r).astype(float), blur) for y, x, r, b in beads]
    return np.sum(own, axis=0) if own else np.zeros(shape), own


def scattered(n=12, shape=(128, 160), seed=0):
    """``n`` beads of radius 2-7 px on a grid, well apart, brightness 20-60."""
    rng = np.random.default_rng(seed)
    cells = [(y, x) for y in range(20, shape[0] - 15, 30) for x in range(20, shape[1] - 15, 30)]
    pick = rng.choice(len(cells), n, replace=False)
    return [(cells[i][0] + rng.uniform(-3, 3), cells[i][1] + rng.uniform(-3, 3), rng.uniform(2, 7),
             rng.uniform(20, 60)) for i in pick]


def nearest_found(counts, y, x):
    d = np.hypot(counts.table["y"] - y, counts.table["x"] - x)
    return int(np.argmin(d)), float(d.min())


def test_well_separated_beads_are_counted_exactly_where_they_are():
    beads = scattered()
    clean, _ = render((128, 160), beads)
    noisy = clean + np.random.default_rng(1).normal(0, 1.0, clean.shape)
    counts = count_objects(noisy, noise_sigma=1.0)
    assert counts.count == len(beads)
    for y, x, r, _ in beads:
        i, d = nearest_found(counts, y, x)
        assert d < 1.5
        assert counts.table["equivalent_radius_px"][i] == pytest.approx(r, abs=2.5)
    assert sorted(counts.table["id"].tolist()) == list(range(1, len(beads) + 1))
    assert set(np.unique(counts.labels)) == set(range(len(beads) + 1))


def test_touching_beads_are_split_in_two():
    beads = [(40, 40, 7, 50), (40, 54, 7, 50), (80, 60, 3, 40), (80, 66.5, 3, 40)]
    clean, _ = render((120, 120), beads)
    assert clean[40, 47] > 0.5 * clean[40, 40]  # they do touch: a mask would merge them
    counts = count_objects(clean + np.random.default_rng(2).normal(0, 0.5, clean.shape), noise_sigma=0.5)
    assert counts.count == 4
    found = {nearest_found(counts, y, x)[0] for y, x, _, _ in beads}
    assert len(found) == 4  # one object per bead
    big = counts.table["area_px"][[nearest_found(counts, 40, 40)[0], nearest_found(counts, 40, 54)[0]]]
    assert abs(int(big[0]) - int(big[1])) < 0.2 * big.mean()  # split down the middle


def test_integrated_intensity_is_linear_in_the_true_brightness():
    rng = np.random.default_rng(3)
    beads = [(y, x, r, b) for (y, x, r, _), b in zip(scattered(n=16, shape=(160, 160), seed=4),
                                                     rng.uniform(5, 100, 16))]
    clean, own = render((160, 160), beads)
    counts = count_objects(clean + rng.normal(0, 1.0, clean.shape), noise_sigma=1.0)
    truth, measured = [], []
    for (y, x, _, _), image in zip(beads, own):
        i, d = nearest_found(counts, y, x)
        assert d < 1.5
        truth.append(image.sum())
        measured.append(counts.table["integrated_intensity"][i])
    r2 = np.corrcoef(truth, measured)[0, 1] ** 2
    assert r2 > 0.99, r2
    # sum over the region, so it sits a little below the whole bead's light, never above
    assert 0.75 < np.sum(measured) / np.sum(truth) <= 1.02
    np.testing.assert_allclose(counts.table["mean_intensity"] * counts.table["area_px"],
                               counts.table["integrated_intensity"])


def test_objects_touching_saturated_pixels_are_flagged_clipped():
    beads = [(30, 30, 5, 255), (30, 80, 5, 60), (80, 55, 5, 60)]
    clean, _ = render((112, 112), beads)
    photo = np.clip(clean + 20, 0, 255).astype(np.uint8)
    counts = count_objects(clean, noise_sigma=1.0, saturated=saturated_mask(photo))
    assert counts.count == 3
    flags = {(y, x): bool(counts.table["clipped"][nearest_found(counts, y, x)[0]]) for y, x, _, _ in beads}
    assert flags == {(30, 30): True, (30, 80): False, (80, 55): False}
    assert counts.summary()["clipped"] == 1


def test_density_needs_a_pixel_size():
    clean, _ = render((128, 160), scattered())
    without = count_objects(clean, noise_sigma=1.0)
    assert without.density_per_mm2 is None and without.summary()["density_per_mm2"] is None
    counts = count_objects(clean, noise_sigma=1.0, pixel_size=0.5)
    area = (128 * 0.5e-3) * (160 * 0.5e-3)
    assert counts.summary()["area_mm2"] == pytest.approx(area)
    assert counts.density_per_mm2 == pytest.approx(counts.count / area)


@pytest.mark.parametrize("image", [np.zeros((40, 50)), np.full((40, 50), 7.0)])
def test_an_empty_image_gives_zero_and_every_output(tmp_path, image):
    counts = count_objects(image)
    assert counts.count == 0 and not counts.labels.any()
    assert set(counts.table) == set(COLUMNS) and all(len(v) == 0 for v in counts.table.values())
    s = counts.summary()
    assert s["count"] == 0 and s["median_area_px"] is None
    counts.to_csv(tmp_path / "c.csv")
    assert (tmp_path / "c.csv").read_text().strip() == ",".join(COLUMNS)
    assert overlay(image, counts.labels).shape == (40, 50, 3)


def test_noise_alone_is_not_counted_when_the_noise_is_read_off_the_image():
    noise = np.random.default_rng(5).normal(10, 2.0, (128, 128))
    counts = count_objects(noise)  # no noise sigma given: estimated, and the LoG's own noise
    assert counts.count <= 1
    assert counts.settings["noise_source"] == "estimated from the signal"
    # and a bead standing 8 sigma above it is found
    clean, _ = render((128, 128), [(60, 60, 4, 16)])
    assert count_objects(noise + clean).count >= 1


@pytest.mark.parametrize("bad, message", [
    (np.zeros((20, 20, 3)), "2-D"),
    (np.zeros(20), "2-D"),
    (np.where(np.eye(20) > 0, np.nan, 1.0), "NaN"),
    (np.full((20, 20), np.inf), "NaN or infinity"),
    (np.array([["a"] * 20] * 20), "numeric"),
])
def test_bad_input_is_a_clear_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        count_objects(bad)


def test_bad_options_are_value_errors():
    img = np.zeros((20, 20))
    with pytest.raises(ValueError, match="min_radius"):
        count_objects(img, min_radius=5, max_radius=2)
    with pytest.raises(ValueError, match="pixel_size"):
        count_objects(img, pixel_size=-1)
    with pytest.raises(ValueError, match="saturated mask"):
        count_objects(img, saturated=np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match="noise_sigma"):
        count_objects(img, noise_sigma=float("nan"))


def test_csv_has_one_row_per_object_in_column_order(tmp_path):
    beads = [(30, 30, 5, 255), (30, 80, 5, 60)]
    clean, _ = render((64, 112), beads)
    counts = count_objects(clean, noise_sigma=1.0, saturated=clean > 200)
    counts.to_csv(tmp_path / "c.csv")
    with open(tmp_path / "c.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(COLUMNS) and len(rows) == 2
    assert [r["clipped"] for r in rows] == [("true" if c else "false") for c in counts.table["clipped"]]
    assert float(rows[0]["integrated_intensity"]) == pytest.approx(counts.table["integrated_intensity"][0],
                                                                   rel=1e-5)


def test_overlay_outlines_each_object_and_marks_the_clipped_ones_red():
    clean, _ = render((64, 112), [(30, 30, 6, 100), (30, 80, 6, 50)])
    counts = count_objects(clean, noise_sigma=1.0)
    clipped = np.array([True, False])
    picture = overlay(clean, counts.labels, clipped=clipped, ids=False)
    assert picture.dtype == np.uint8 and picture.shape == (64, 112, 3)
    red = (picture[..., 0] > 200) & (picture[..., 1] < 80)
    yellow = (picture[..., 0] > 200) & (picture[..., 1] > 180) & (picture[..., 2] < 50)
    first = counts.labels == 1
    assert red[first].any() and not red[~first].any()
    assert yellow[counts.labels == 2].any()
    with pytest.raises(ValueError, match="labels"):
        overlay(clean, counts.labels[:10])


def test_noise_sigma_of_the_photo_in_the_signal_units():
    bg = np.full((16, 16), 0.3 * 255)
    pg = {"model": "poisson-gaussian", "gain": 0.001, "sigma": 0.01, "offset": 0.1}
    expected = np.sqrt(0.001 * (0.3 - 0.1) + 0.01**2) * 255
    assert signal_noise_sigma(noise=pg, background=bg, scale=255.0) == pytest.approx(expected)
    rng = np.random.default_rng(6)
    plane = 0.4 + 0.02 * rng.standard_normal((96, 96))
    assert signal_noise_sigma(plane=plane, scale=255.0) == pytest.approx(0.02 * 255, rel=0.15)
    assert signal_noise_sigma() is None


def test_saturated_mask_reads_the_clip_level_of_the_dtype():
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[1, 1, 1] = 255
    rgb[2, 2, 0] = 252
    assert saturated_mask(rgb).sum() == 2
    assert saturated_mask(np.full((4, 4), 65535, np.uint16)).all()
    assert not saturated_mask(np.full((4, 4), 300.0)).any()  # float beyond [0, 1]: no clip level known
    assert saturated_mask(np.full((4, 4), 0.5), level=0.5).all()


def test_count_result_counts_the_signal_layer_with_the_photos_noise():
    import histdip

    rng = np.random.default_rng(7)
    clean, _ = render((64, 64), [(20, 20, 4, 160), (44, 40, 4, 160)])
    photo = np.clip(30 + clean + rng.normal(0, 4, clean.shape), 0, 255).astype(np.uint8)
    result = histdip.restore_detailed(photo, iterations=3)
    counts = count_result(result, photo)
    assert isinstance(counts, Counts)
    assert counts.settings["noise_source"] == "given"
    assert 1.0 < counts.noise_sigma < 12.0  # the photo's noise (4 grey levels), not the restored signal's
    assert counts.labels.shape == (64, 64)
