"""Polarity: read from the image (``auto``), given, and what it does to the planes."""

import numpy as np
import pytest

from histdip.colour import auto_channel, luma
from histdip.errors import ConfigError
from histdip.io import read_image
from histdip.planes import read_planes
from histdip.prior.polarity import read_polarity, tail_masses
from histdip.simulate import simulate_brightfield, simulate_scene


def _field(sign, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:128, :128]
    img = 0.5 + 0.1 * (xx / 128.0) + 0.01 * rng.standard_normal((128, 128))
    for cy, cx in [(30, 30), (80, 90), (100, 30), (50, 100)]:
        img[np.hypot(yy - cy, xx - cx) <= 5] += sign * 0.3
    return img


@pytest.mark.parametrize("sign, expected", [(1, "bright"), (-1, "dark")])
def test_auto_reads_the_side_the_objects_lie_on(sign, expected):
    choice = read_polarity(_field(sign))
    assert choice.polarity == expected
    assert (choice.dark_share > 0.9) == (expected == "dark")
    assert "auto" in choice.reason and "\n" not in choice.reason


def test_tail_masses_ignore_a_smooth_field_and_flat_frames_read_bright():
    yy, xx = np.mgrid[:128, :128]
    noise = 0.01 * np.random.default_rng(1).standard_normal((128, 128))
    bright, dark = tail_masses(0.2 + 0.5 * xx / 128.0 + 0.2 * (yy / 128.0) ** 2 + noise)
    objects = tail_masses(_field(-1))[1]
    assert bright + dark < 0.05 * objects  # a tilted, vignetted field alone holds next to no object
    assert read_polarity(np.full((32, 32), 0.7)).polarity == "bright"


def test_given_polarity_is_kept_and_a_bad_one_is_a_config_error():
    assert read_polarity(_field(1), "dark").polarity == "dark"
    assert read_polarity(_field(1), "dark").dark_share is None
    with pytest.raises(ConfigError, match="unknown polarity 'sideways'"):
        read_polarity(_field(1), "sideways")


def test_dark_planes_are_inverted_and_recordings_invert_back():
    img = np.round(255 * np.clip(_field(-1), 0, 1)).astype(np.uint8)
    bright, dark = read_planes(img), read_planes(img, polarity="auto")
    assert dark.is_dark and not bright.is_dark
    np.testing.assert_allclose(dark.recorded, 1.0 - bright.recorded)
    np.testing.assert_allclose(dark.from_unit(dark.recorded), img, atol=1e-3)  # a recording: back as given
    np.testing.assert_allclose(dark.from_unit(dark.recorded, offset=False), 255 * dark.recorded, atol=1e-3)


def test_auto_channel_of_a_yellow_brightfield_photo_is_where_the_objects_absorb():
    scene = simulate_brightfield((96, 96), seed=2)
    unit = scene.noisy_rgb / 255.0
    assert auto_channel(unit, polarity="dark") == 1  # green, not the dim blue of the cast
    assert read_planes(scene.noisy_rgb, polarity="auto").channel == "green"


def test_simulated_scenes_read_their_own_polarity():
    for seed in range(4):
        assert read_polarity(luma(simulate_brightfield((128, 128), seed=seed).noisy_rgb / 255.0)).is_dark
        assert not read_polarity(luma(simulate_scene(shape=(128, 160), seed=seed).noisy_rgb / 255.0)).is_dark


def _grey(path):
    return luma(np.asarray(read_image(path), np.float64) / 255.0)


def test_real_photos_fluorescence_bright_brightfield_dark(shared_data):
    phone = sorted((shared_data / "smartphone-beads").glob("*.png"))
    fmd = sorted((shared_data / "fmd-test-mix" / "raw").glob("*.png"))
    brightfield = sorted((shared_data / "cellphone-microbead-photos").glob("*.jpg"))
    assert len(phone) == 10 and len(brightfield) == 3 and fmd
    assert [read_polarity(_grey(p)).polarity for p in phone + fmd] == ["bright"] * (len(phone) + len(fmd))
    assert [read_polarity(_grey(p)).polarity for p in brightfield] == ["dark"] * 3
