"""histdip.config.presets: the paper's released configuration, field by field."""

import pytest

from histdip.config import PRESETS, preset
from histdip.errors import ConfigError


def test_paper_preset_is_the_released_configuration():
    c = preset("paper")
    assert c.preset == "paper" and c.sample is None
    assert (c.channel, c.background, c.threshold_smooth, c.mask_grow) == ("rgb", "none", 0.0, 0)
    n = c.network
    assert (n.channels_down, n.channels_up, n.channels_skip) == ([128] * 5, [128] * 5, [4] * 5)
    assert (n.norm, n.sigmoid, n.clamp, n.upsample, n.padding) == ("batch", True, False, "bilinear", "reflection")
    assert (c.physics.kind, c.physics.factor, c.physics.kernel) == ("downsample", 4, "lanczos2")
    assert (c.input, c.input_channels, c.noise_model) == ("image", 32, "gaussian")
    assert (c.iterations, c.lr, c.patch_size, c.batch_size, c.ema) == (2000, 1e-3, None, 1, None)
    assert (c.output, c.mask_resampling, c.tile, c.channels_last, c.stopping.rule) == ("last", "lr", None, False,
                                                                                     "fixed")


def test_each_call_is_a_fresh_validated_config():
    assert set(PRESETS) == {"fast", "paper"}
    assert preset("fast") == preset("fast") and preset("fast") is not preset("fast")
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        preset("nope")
