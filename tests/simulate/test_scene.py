"""histdip.simulate.scene: simulate_scene is deterministic, its bead list matches its clean
image, and its noise is what the design says (small images, a few seconds in all)."""

import numpy as np
import pytest

from histdip.errors import ConfigError
from histdip.simulate import BEAD_CLASSES, SCENE_KINDS, simulate_scene

SHAPE = (256, 192)


def _scene(**kw):
    kw.setdefault("shape", SHAPE)
    return simulate_scene(**kw)


# --- determinism -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", SCENE_KINDS)
def test_same_seed_gives_identical_scene(kind):
    a, b = _scene(kind=kind, seed=7), _scene(kind=kind, seed=7)
    for name in ("clean", "expected", "noisy_rgb", "noisy", "background", "haze", "support"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(a.beads, b.beads)
    assert a.params == b.params


@pytest.mark.parametrize("kind", SCENE_KINDS)
def test_different_seed_differs(kind):
    a, b = _scene(kind=kind, seed=1), _scene(kind=kind, seed=2)
    assert not np.array_equal(a.noisy_rgb, b.noisy_rgb)
    if kind != "empty":
        assert not np.array_equal(a.clean, b.clean)


def test_noise_level_keeps_the_objects():
    a, b = _scene(seed=5, noise_level=1.0), _scene(seed=5, noise_level=3.0)
    np.testing.assert_array_equal(a.clean, b.clean)
    np.testing.assert_array_equal(a.beads, b.beads)
    assert not np.array_equal(a.noisy_rgb, b.noisy_rgb)


# --- shapes and types --------------------------------------------------------------------

@pytest.mark.parametrize("kind", SCENE_KINDS)
def test_shapes_dtypes_ranges(kind):
    s = _scene(kind=kind, seed=0)
    h, w = SHAPE
    assert s.clean.shape == s.noisy.shape == s.expected.shape == s.background.shape == (h, w)
    assert s.noisy_rgb.shape == (h, w, 3) and s.noisy_rgb.dtype == np.uint8
    for name in ("clean", "noisy", "expected", "background", "haze"):
        arr = getattr(s, name)
        assert arr.dtype == np.float32, name
        assert np.isfinite(arr).all(), name
    assert 0.0 <= s.clean.min() and s.clean.max() <= 1.0
    np.testing.assert_allclose(s.noisy, s.noisy_rgb[..., 1] / 255.0, atol=1e-6)
    assert s.support.dtype == bool and s.signal_mask().shape == (h, w)
    assert set(s.beads.dtype.names) >= {"y", "x", "radius", "brightness"}
    assert s.params["kind"] == kind and s.params["shape"] == [h, w]


def test_default_shape_is_the_real_photo_rows_by_columns():
    s = simulate_scene(kind="filaments", n_beads=2)
    assert s.clean.shape == (1200, 900)


# --- bead list vs clean image --------------------------------------------------------------

def test_beads_match_clean_image():
    s = _scene(seed=3, bead_size=(10, 10), n_beads=10, bead_dome=0.0)  # flat discs
    beads = s.beads
    assert len(beads) == 10
    assert np.allclose(beads["radius"], 5.0)
    psf = s.params["psf_sigma"]
    centre_values = []
    for b in beads:
        y, x = int(round(b["y"])), int(round(b["x"]))
        # a maximum of the clean image sits at the bead centre ...
        win = s.clean[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3]
        assert win.max() == pytest.approx(b["brightness"], rel=0.03)
        # ... and clean falls off outside the disc
        far = int(b["radius"] + 4 * psf) + 1
        for dy, dx in ((far, 0), (-far, 0), (0, far), (0, -far)):
            yy, xx = y + dy, x + dx
            if 0 <= yy < SHAPE[0] and 0 <= xx < SHAPE[1]:
                assert s.clean[yy, xx] < 0.5 * s.clean[y, x]
        assert s.support[y, x] and s.signal_mask(grow=-2)[y, x]
        assert not s.background_mask(margin=3)[y, x]
        centre_values.append(s.clean[y, x])
    # brightness order == order of the clean image at the centres
    np.testing.assert_array_equal(np.argsort(np.argsort(centre_values)),
                                  np.argsort(np.argsort(beads["brightness"])))
    # nothing outside the (grown) bead discs
    assert s.clean[~s.signal_mask(grow=int(4 * psf) + 2)].max() < 0.02


def test_domed_beads_peak_at_the_centre():
    s = _scene(seed=3, bead_size=(30, 30), n_beads=3)  # default bead_dome 0.5
    checked = 0
    for b in s.beads:
        y, x, r = int(round(b["y"])), int(round(b["x"])), b["radius"]
        if not (r < y < SHAPE[0] - r and r < x < SHAPE[1] - r):
            continue
        centre = s.clean[y, x]
        assert centre == pytest.approx(b["brightness"], rel=0.03)
        ring = [s.clean[y + int(dy * 0.7 * r), x + int(dx * 0.7 * r)] for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1))]
        assert max(ring) < 0.9 * centre
        checked += 1
    assert checked >= 1


@pytest.mark.parametrize("size", sorted(BEAD_CLASSES))
def test_bead_size_classes(size):
    s = _scene(seed=1, bead_size=size, n_beads=3)
    lo, hi = np.array(BEAD_CLASSES[size]["diameter"]) / 2
    assert len(s.beads) == 3
    assert np.all((s.beads["radius"] >= lo) & (s.beads["radius"] <= hi))
    assert s.params["bead_size"] == size


def test_bead_size_as_diameters():
    s = _scene(seed=1, bead_size=(10, 12), n_beads=4)
    assert len(s.beads) == 4 and np.all((s.beads["radius"] >= 5) & (s.beads["radius"] <= 6))


def test_empty_scene_has_no_signal_but_has_haze():
    s = _scene(kind="empty", seed=2)
    assert len(s.beads) == 0
    assert not s.support.any() and not s.signal_mask(grow=5).any()
    assert np.all(s.clean == 0)
    assert s.background_mask().all()
    assert s.haze.max() > 0.02  # ghost flare present
    assert s.noisy.std() > 0


def test_cells_and_filaments():
    c = _scene(kind="cells", seed=4, n_beads=5)
    assert len(c.beads) == 5
    for b in c.beads:
        assert c.clean[int(b["y"]), int(b["x"])] > 0.5 * b["brightness"]
    assert np.array_equal(c.noisy_rgb[..., 0], c.noisy_rgb[..., 2])  # grey
    f = _scene(kind="filaments", seed=4, n_beads=6)
    assert len(f.beads) == 0 and f.support.any()
    assert f.clean[f.support].mean() > 5 * f.clean[~f.signal_mask(grow=6)].mean()


# --- noise ------------------------------------------------------------------------------

def _residual_variance(level, seed=11):
    s = _scene(seed=seed, noise_level=level, jpeg_quality=None, sharpen=0.0, bead_size="small")
    ok = (s.expected > 0.05) & (s.expected < 0.85)  # away from clipping
    res = s.noisy.astype(np.float64) - s.expected
    p = s.params
    design = np.mean(s.expected[ok] / p["photons_effective"] + p["read_effective"] ** 2)
    return res[ok].var(), design + 1 / 12 / 255 ** 2


def test_noise_variance_scales_with_noise_level_squared():
    v2, d2 = _residual_variance(2.0)
    v4, d4 = _residual_variance(4.0)
    assert v4 / v2 == pytest.approx(4.0, rel=0.15)
    assert v2 == pytest.approx(d2, rel=0.15)  # Poisson-Gaussian variance as designed
    assert v4 == pytest.approx(d4, rel=0.15)


def test_zero_noise_level_is_quantisation_only():
    s = _scene(seed=3, noise_level=0.0, jpeg_quality=None, sharpen=0.0)
    assert np.abs(s.noisy - s.expected).max() <= 0.5 / 255 + 1e-6


def test_noise_is_spatially_correlated_like_the_phone_photos():
    s = _scene(seed=8, noise_level=4.0, jpeg_quality=None, sharpen=0.0, bead_size="small")
    res = s.noisy.astype(np.float64) - s.expected
    ac1 = np.corrcoef(res[:, :-1].ravel(), res[:, 1:].ravel())[0, 1]
    assert 0.6 < ac1 < 0.9  # measured on the real photos: ~0.75
    g = _scene(kind="cells", seed=8, noise_level=4.0)
    gres = g.noisy.astype(np.float64) - g.expected
    assert abs(np.corrcoef(gres[:, :-1].ravel(), gres[:, 1:].ravel())[0, 1]) < 0.1


def test_green_dominates():
    for seed in range(3):
        s = _scene(seed=seed)
        r, g, b = (s.noisy_rgb[..., c].astype(float) for c in range(3))
        assert g.mean() > 2 * r.mean() and g.mean() > 4 * b.mean()
        assert np.median(g) > np.median(r) and np.median(g) > np.median(b)


def test_photo_is_signal_plus_background_plus_haze():
    s = _scene(seed=6, noise_level=0.0, jpeg_quality=None, sharpen=0.0)
    np.testing.assert_allclose(s.expected, np.clip(s.clean + s.background + s.haze, 0, 1), atol=1e-6)
    assert s.background.min() >= 0 and s.haze.min() >= 0


# --- errors --------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [dict(kind="stars"), dict(bead_size="huge"), dict(bead_size=(8, 4)),
                                dict(shape=(8, 8)), dict(noise_level=-1.0), dict(n_beads=-2),
                                dict(no_such_parameter=1)])
def test_bad_arguments_raise_config_error(kw):
    with pytest.raises(ConfigError):
        _scene(**kw)
