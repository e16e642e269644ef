"""histdip.detect: the LoG bead detector, matching and scores."""

import numpy as np
import pytest
from scipy import ndimage as ndi

from histdip.detect import detect_beads, detection_scores, match_beads

pytestmark = pytest.mark.unit


def _discs(beads, shape=(128, 128), psf=1.2, offset=0.0):
    """Blurred flat discs (y, x, radius, brightness) on a constant offset."""
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    img = np.zeros(shape)
    for y, x, r, b in beads:
        img = np.maximum(img, b * (np.hypot(yy - y, xx - x) <= r))
    return ndi.gaussian_filter(img, psf) + offset


def test_finds_beads_of_every_size_with_their_radius():
    beads = [(20, 20, 1.5, 1.0), (25, 70, 5.0, 1.0), (80, 40, 15.0, 1.0), (90, 100, 3.0, 0.6)]
    for offset in (0.0, 0.4):  # the LoG ignores a constant background
        found = detect_beads(_discs(beads, offset=offset), threshold=0.1)
        assert len(found) == 4
        pairs, tp, fp, fn = match_beads(found, [b[:3] for b in beads])
        assert (tp, fp, fn) == (4, 0, 0)
        for d, b in pairs:
            assert found[d, 2] == pytest.approx(beads[b][2], rel=0.5, abs=1.5)


def test_a_cluster_of_touching_beads_stays_separate():
    # Four beads 2 px apart: the LoG also answers to the cluster as one large blob;
    # the stronger (each bead at its own scale) must win over the larger.
    beads = [(50, 50, 4, 1.0), (50, 60, 4, 1.0), (60, 50, 4, 1.0), (60, 60, 4, 1.0)]
    found = detect_beads(_discs(beads, shape=(110, 110)), threshold=0.05)
    s = detection_scores(found, [b[:3] for b in beads])
    assert (s["tp"], s["fp"], s["fn"]) == (4, 0, 0)


def test_threshold_keeps_bright_and_drops_dim():
    beads = [(30, 30, 4, 1.0), (30, 90, 4, 0.1)]
    img = _discs(beads)
    assert len(detect_beads(img, threshold=0.2)) == 1
    assert len(detect_beads(img, threshold=0.02)) == 2
    # relative: a tenth of the strongest response keeps both, half of it only the bright one
    assert len(detect_beads(img, threshold_rel=0.05)) == 2
    assert len(detect_beads(img, threshold_rel=0.5)) == 1


def test_flat_image_and_border():
    assert detect_beads(np.full((40, 40), 0.3)).shape == (0, 3)
    edge = _discs([(1, 40, 3, 1.0)], shape=(64, 80))
    assert len(detect_beads(edge, threshold=0.05, border=0)) == 1
    assert len(detect_beads(edge, threshold=0.05, border=3)) == 0


def test_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        detect_beads(np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match="min_sigma"):
        detect_beads(np.zeros((8, 8)), min_sigma=4, max_sigma=2)


def test_match_is_one_to_one_within_the_radius_rule():
    truth = np.array([[10.0, 10.0, 2.0], [30.0, 30.0, 5.0]])
    detected = np.array([[11.0, 10.0], [30.0, 36.0], [50.0, 5.0], [9.0, 10.0]])
    pairs, tp, fp, fn = match_beads(detected, truth)
    assert (tp, fp, fn) == (2, 2, 0)
    assert {b for _, b in pairs} == {0, 1}
    _, tp, fp, fn = match_beads([[0.0, 4.0]], [[0.0, 0.0, 1.0]])  # allowed max(3, 1 + 2) = 3
    assert (tp, fp, fn) == (0, 1, 1)


def test_scores():
    s = detection_scores([[10, 11], [70, 70]], [[10, 10, 3], [30, 30, 3], [50, 50, 3]])
    assert (s["tp"], s["fp"], s["fn"]) == (1, 1, 2)
    assert s["precision"] == pytest.approx(0.5) and s["recall"] == pytest.approx(1 / 3)
    assert s["f1"] == pytest.approx(2 / 5)
    empty = detection_scores(np.zeros((0, 3)), np.zeros((0, 3)))
    assert empty["f1"] == 1.0 and empty["precision"] == 1.0
    assert detection_scores(np.zeros((0, 3)), [[5, 5, 2]])["f1"] == 0.0
