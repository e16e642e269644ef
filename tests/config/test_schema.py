"""histdip.config.schema: one validated, immutable RestoreConfig whose defaults are the default preset."""

import pydantic
import pytest

from histdip.config import NetworkConfig, RestoreConfig, preset
from histdip.errors import ConfigError


def test_the_defaults_are_the_fast_preset():
    default = RestoreConfig()
    assert default == preset("fast") and default.preset == "fast"
    # the fields that make it the fast one, not the paper's
    assert (default.iterations, default.lr, default.patch_size, default.physics.factor) == (600, 6e-3, 128, 2)
    assert default.network.channels_down == [16] * 4 and default.stopping.rule == "noise-level"
    assert (default.sample, default.threshold, default.background, default.primary) == (
        "auto", "learned", "envelope", "auto")


@pytest.mark.parametrize("fields, where", [
    (dict(lr=-1), "lr"),
    (dict(threshold="banana"), "threshold"),
    (dict(threshold="percentile:150"), "percentile"),
    (dict(threshold=300), "0-255"),
    (dict(threshold=True), "threshold"),
    (dict(background_radius=0), "background radius"),
    (dict(device="tpu"), "device"),
    (dict(stopping={"rule": "sometimes"}), "stopping.rule"),
    (dict(colour="green"), "colour"),
])
def test_a_bad_value_is_one_line_naming_the_field(fields, where):
    with pytest.raises(ConfigError) as err:
        RestoreConfig.validated(**fields)
    message = str(err.value)
    assert "\n" not in message and message.startswith("invalid setting") and where in message


def test_thresholds_are_normalised():
    assert RestoreConfig(threshold="OTSU").threshold == "otsu"
    assert RestoreConfig(threshold="143").threshold == 143.0
    assert RestoreConfig(threshold="percentile:99.50").threshold == "percentile:99.5"
    assert RestoreConfig(threshold_low=None).threshold_low is None


def test_a_config_is_immutable_and_replace_makes_a_validated_copy():
    c = RestoreConfig()
    with pytest.raises(pydantic.ValidationError):
        c.lr = 0.1
    d = c.replace(lr=0.01, stopping={"level": 0.6})
    assert (c.lr, d.lr) == (6e-3, 0.01)
    assert d.stopping.level == 0.6 and d.stopping.rule == c.stopping.rule  # sections merge
    with pytest.raises(ConfigError, match="iterations"):
        c.replace(iterations=0)


def test_network_depths_must_agree_and_set_the_multiple():
    with pytest.raises(pydantic.ValidationError, match="same, non-zero length"):
        NetworkConfig(channels_down=[8, 8], channels_up=[8], channels_skip=[4, 4])
    assert NetworkConfig().multiple == 16 and NetworkConfig().margin == 0
    zeros = NetworkConfig(padding="zeros")
    assert zeros.margin == zeros.multiple  # zero padding: one coarsest pixel of mirror
