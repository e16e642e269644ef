"""histdip.plotting: the histogram and side-by-side PNGs, and the display stretch."""

import numpy as np
import pytest

from histdip.errors import HistdipError
from histdip.io import read_image
from histdip.plotting import display_stretch, histogram_plot, side_by_side
from tests.helpers import beads, files_under


def test_plots_are_pngs_and_refuse_overwrite(tmp_path):
    g = beads().astype(float)
    assert histogram_plot(g, 100, tmp_path / "h.png", "title", low=60) == tmp_path / "h.png"
    side_by_side(beads(rgb=True), g, tmp_path / "s.png", ("a", "b"))
    assert read_image(tmp_path / "h.png").shape[:2] == (400, 700)
    assert read_image(tmp_path / "s.png").ndim == 3
    before = (tmp_path / "h.png").read_bytes()
    with pytest.raises(HistdipError, match="already exists"):
        histogram_plot(g, 100, tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes() == before
    histogram_plot(g, 50, tmp_path / "h.png", overwrite=True)
    assert (tmp_path / "h.png").read_bytes() != before
    with pytest.raises(HistdipError, match="overwrite the input"):
        side_by_side(g, g, tmp_path / "s.png", overwrite=True, protect=[tmp_path / "s.png"])
    assert files_under(tmp_path) == ["h.png", "s.png"]


def test_plots_of_odd_images(tmp_path):
    histogram_plot(np.full((8, 8), np.nan), 10, tmp_path / "nan.png")  # nothing finite to count
    side_by_side(np.zeros((8, 8)), beads((16, 40), rgb=True), tmp_path / "sizes.png")  # panels of other sizes
    assert files_under(tmp_path) == ["nan.png", "sizes.png"]


def test_display_stretch_maps_percentiles_to_black_and_white():
    ramp = np.arange(1000.0).reshape(20, 50)
    out = display_stretch(ramp)
    assert out.min() == 0 and out.max() == 1
    lo, hi = np.percentile(ramp, (0.5, 99.5))
    np.testing.assert_allclose(out, np.clip((ramp - lo) / (hi - lo), 0, 1))
    assert display_stretch(ramp, percentiles=(0, 100))[0, 1] == pytest.approx(1 / 999)


def test_display_stretch_constant_and_outliers():
    assert not display_stretch(np.full((8, 8), 3.0)).any()
    assert not display_stretch(np.full((8, 8), np.nan)).any()
    spikes = np.zeros((20, 20))
    spikes[0, 0] = 5.0  # percentiles coincide: the full range is used instead
    out = display_stretch(spikes)
    assert out[0, 0] == 1 and out[1, 1] == 0


def test_display_stretch_colour_keeps_hue_and_nan_goes_black():
    rng = np.random.default_rng(0)
    rgb = rng.random((16, 16, 3)) * [0.2, 1.0, 0.1]
    out = display_stretch(rgb)
    assert out.shape == (16, 16, 3)
    # one pair of limits for all channels: green stays the brightest
    assert out[..., 1].mean() > 3 * out[..., 0].mean() > 0
    rgba = np.dstack([rgb, np.ones((16, 16))])
    np.testing.assert_array_equal(display_stretch(rgba), out)  # alpha dropped
    two = np.dstack([rgb[..., 1], rgb[..., 0]])
    np.testing.assert_array_equal(display_stretch(two), display_stretch(rgb[..., 1]))  # first plane
    grey = rng.random((16, 16))
    grey[3, 3] = np.nan
    stretched = display_stretch(grey)
    assert np.isfinite(stretched).all() and stretched[3, 3] == 0
