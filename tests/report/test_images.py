"""histdip.report.images and charts: what the page embeds and draws."""

import numpy as np

from histdip.report import charts
from histdip.report.images import (
    decode_uri,
    display_size,
    mask_overlay_uri,
    outline_overlay_uri,
    snapshot_uris,
    to_display,
)


def test_large_images_are_shown_downscaled_and_say_so():
    assert display_size((3000, 4000)) == (900, 1200, 0.3)
    assert display_size((64, 48)) == (64, 48, 1.0)
    pixels = to_display(np.random.default_rng(0).random((300, 400, 3)), (90, 120))
    assert pixels.shape == (90, 120, 3) and pixels.dtype == np.uint8


def test_mask_overlay_is_transparent_outside_and_solid_on_its_edge():
    mask = np.zeros((40, 40), bool)
    mask[10:30, 10:30] = True
    rgba = decode_uri(mask_overlay_uri(mask, (40, 40)))
    assert rgba.shape == (40, 40, 4)
    assert rgba[0, 0, 3] == 0 and 0 < rgba[20, 20, 3] < 128 and rgba[10, 20, 3] > 200


def test_outlines_follow_each_object_and_mark_the_clipped_red():
    labels = np.zeros((30, 30), np.int32)
    labels[5:12, 5:12] = 1
    labels[15:25, 15:25] = 2
    rgba = decode_uri(outline_overlay_uri(labels, (30, 30), clipped=[False, True]))
    assert rgba[5, 8, 3] == 255 and rgba[8, 8, 3] == 0 and rgba[0, 0, 3] == 0
    assert tuple(rgba[5, 8, :3]) != tuple(rgba[15, 20, :3])  # yellow and red


def test_snapshots_are_made_smaller_to_fit_the_budget():
    rng = np.random.default_rng(0)
    noisy = [(k, rng.random((200, 300))) for k in range(5)]
    full, scale = snapshot_uris(noisy, (200, 300), (0.0, 1.0), budget=10**9)
    assert scale == 1.0 and decode_uri(full[0]).shape == (200, 300)
    tight = sum(len(u) for u in full) // 4
    small, scale = snapshot_uris(noisy, (200, 300), (0.0, 1.0), budget=tight)
    assert scale < 1.0 and sum(len(u) for u in small) <= tight


def test_curve_chart_maps_steps_for_the_marker():
    svg = charts.curve_chart([("loss", "curve-main", [1, 2, 3], [1.0, 0.5, 0.1])], last_step=3, y_label="loss",
                             title="t", markers=[(3, "stopped at 3", "stop")], chart_id="c")
    assert 'id="c" data-x0="62" data-x1="624" data-last="3"' in svg and "step-marker" in svg
    assert "stopped at 3" in svg and svg.count("<polyline") == 1
