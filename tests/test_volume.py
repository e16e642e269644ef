"""restore_volume: the anisotropy rule, 3-D crops, padding, and a short 3-D fit."""

import numpy as np
import pytest
import torch

from histdip.config import RestoreConfig
from histdip.errors import ConfigError
from histdip.simulate.volume import simulate_volume
from histdip.volume import ANISOTROPY_LIMIT, VolumeCrops, plan_geometry, restore_volume
from histdip.volume.grid import crop_size, pad_volume, predict_volume, unpad_volume, volume_padding

C = RestoreConfig()


def test_the_anisotropy_rule():
    iso = plan_geometry((32, 64, 64), (0.1, 0.1, 0.1), C.network, C.physics)
    assert not iso.keep_z and iso.stride == 2 and iso.axes == (True, True, True)
    aniso = plan_geometry((32, 64, 64), (0.1 * ANISOTROPY_LIMIT, 0.1, 0.1), C.network, C.physics)
    assert aniso.keep_z and aniso.stride == (1, 2, 2) and aniso.axes == (False, True, True)
    assert "anisotropic" in aniso.reason and aniso.ratio == pytest.approx(ANISOTROPY_LIMIT)
    unknown = plan_geometry((32, 64, 64), None, C.network, C.physics)
    assert not unknown.keep_z and "unknown" in unknown.reason
    few = plan_geometry((6, 64, 64), (0.1, 0.1, 0.1), C.network, C.physics)
    assert few.keep_z and "6 planes" in few.reason


def test_padding_reaches_the_multiples_and_comes_off():
    geometry = plan_geometry((20, 40, 50), None, C.network, C.physics)
    amounts = volume_padding((20, 40, 50), geometry)
    a = np.random.default_rng(0).random((20, 40, 50))
    padded = pad_volume(a, amounts)
    assert all(n % m == 0 for n, m in zip(padded.shape, geometry.multiple))
    assert np.array_equal(unpad_volume(padded, amounts), a)
    kept = plan_geometry((5, 40, 50), (0.5, 0.1, 0.1), C.network, C.physics)
    assert pad_volume(a[:5], volume_padding((5, 40, 50), kept)).shape[0] == 5  # z is not padded


def test_crops_line_up_with_the_downsampled_target_and_favour_the_foreground():
    net_input = torch.arange(32 * 64 * 64, dtype=torch.float32).reshape(1, 1, 32, 64, 64)
    target = net_input[..., ::2, ::2, ::2].clone()
    foreground = np.zeros((32, 64, 64), bool)
    foreground[20, 50, 50] = True
    crops = VolumeCrops(net_input, target, (16, 32, 32), 8, (2, 2, 2), 3, seed=0, foreground=foreground, share=1.0)
    inp, tgt, weight = crops(1)
    assert inp.shape == (8, 1, 16, 32, 32) and tgt.shape == weight.shape == (8, 1, 8, 16, 16)
    assert torch.equal(inp[..., ::2, ::2, ::2], tgt)  # each target crop is its input's own
    assert all(bool(((c == 20 * 64 * 64 + 50 * 64 + 50).any())) for c in inp)  # all hold the foreground voxel
    assert weight.min() == 0 and weight.max() == 1


def test_crop_size_follows_the_geometry():
    iso = plan_geometry((64, 128, 128), None, C.network, C.physics)
    aniso = plan_geometry((64, 128, 128), (0.3, 0.1, 0.1), C.network, C.physics)
    assert crop_size((64, 128, 128), iso, 128) == (32, 32, 32)
    assert crop_size((64, 128, 128), aniso, 128) == (16, 32, 32)
    assert crop_size((8, 128, 128), aniso, 128) == (8, 32, 32)


def test_slab_prediction_has_the_whole_volume_shape():
    from histdip.networks import SkipNet

    geometry = plan_geometry((8, 32, 32), (0.3, 0.1, 0.1), C.network, C.physics)
    net = SkipNet(1, 1, C.network, dims=3, stride=geometry.stride)
    x = torch.rand(1, 1, 8, 32, 32)
    whole = predict_volume(net, x, geometry)
    slabs = predict_volume(net, x, geometry, max_voxels=2 * 32 * 32)
    assert whole.shape == slabs.shape == (8, 32, 32)


def test_a_short_fit_gives_layers_that_add_up_and_a_record():
    v = simulate_volume((8, 32, 32), spacing=(0.3, 0.1, 0.1), n_beads=5, seed=7)
    result = restore_volume(v.volume, spacing=v.spacing, iterations=15)
    assert result.image.shape == (8, 32, 32) and result.image.dtype == np.float32
    layers = result.layers
    assert np.allclose(layers["recording"], layers["signal"] + layers["background"], atol=1e-2 * v.volume.max())
    record = result.record
    assert record["anisotropy"]["keep_z"] and record["iterations"] <= 15
    assert record["primary"] in ("signal", "recording") and len(record["thresholds"]) == 8
    assert record["shape"] == [8, 32, 32] and record["spacing_um"] == [0.3, 0.1, 0.1]
    assert "3-D network over 8 planes" in result.summary()
    again = restore_volume(v.volume, spacing=v.spacing, iterations=15)
    assert np.array_equal(again.image, result.image)  # one seed, one result


def test_settings_that_learn_no_split_are_refused():
    v = simulate_volume((4, 16, 16), n_beads=2, seed=0)
    with pytest.raises(ConfigError, match="learned split"):
        restore_volume(v.volume, method="threshold", threshold=100)


def test_restore_stack_in_3d_fits_each_channel_volume_and_refuses_colour():
    from histdip.errors import InputError
    from histdip.stack import restore_stack

    data = np.stack([simulate_volume((4, 24, 24), n_beads=3, seed=s).volume for s in (1, 2)])
    result = restore_stack(data, "CZYX", volume="3d", iterations=3, spacing=(0.3, 0.1, 0.1))
    assert result.image.shape == data.shape and result.axes == "CZYX"
    assert [r["index"] for r in result.records] == [{"c": 0}, {"c": 1}]
    assert "2 volume(s) (CZYX) by one 3-D network each" in result.summary()
    with pytest.raises(InputError, match="colour samples"):
        restore_stack(np.zeros((4, 16, 16, 3), np.uint8), "ZYXS", volume="3d")


@pytest.mark.slow
def test_the_3d_fit_restores_beads_better_than_the_input():
    from benchmarks.volumes import bead_f1, detect_beads_3d, score

    v = simulate_volume((16, 64, 64), spacing=(0.3, 0.1, 0.1), n_beads=10, seed=100)
    result = restore_volume(v.volume, spacing=v.spacing)
    restored, raw = score(result.layers["signal"], v.clean), score(v.volume.astype(float), v.clean)
    assert restored[0] > raw[0] + 3 and restored[1] > raw[1]
    assert bead_f1(detect_beads_3d(result.layers["signal"], v.spacing), v.beads, v.spacing) >= 0.7
