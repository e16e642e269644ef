"""Bad pixel values, shapes and settings: the same refusal from ``histdip restore`` (one
line naming the file, exit 2, nothing written) and from ``histdip.restore`` (the
documented exception: :class:`InputError` for the image, :class:`ConfigError` for a
setting, :class:`NoSignalError` when nothing lies above T).

Each case is one array: given to the Python API as it is, and saved to a file (PNG, or
TIFF where PNG cannot hold it) for the command line. docs/reliability.md lists them.
"""

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
import tifffile

import histdip
from histdip.errors import ConfigError, InputError, NoSignalError
from histdip.validate import require_signal
from tests.helpers import assert_one_line_error, beads, cli, files_under, save_png
from tests.reliability.crafted import partials, run_quietly


@dataclass(frozen=True)
class Case:
    array: object  # a callable making it
    error: type
    api: str  # in the API's message
    cli: str  # in the command line's message
    settings: dict = field(default_factory=dict)  # the API's keywords ...
    flags: tuple = ()  # ... and the same as flags
    suffix: str = ".png"  # the file the command line reads

    @property
    def names_file(self):
        # A setting wrong for every image (T) is refused before any file is read, naming
        # the flag; one wrong for this image (its channels) names the file too.
        return self.error is not ConfigError or "channel" in str(self.settings)


def _with(value, where, rgb=False, dtype=np.float32):
    def make():
        a = beads(rgb=rgb, dtype=dtype)
        a[where] = value
        return a
    return make


CASES = {
    "NaN pixel": Case(_with(np.nan, (3, 4, 1), rgb=True), InputError, "NaN or infinite", "1 NaN", suffix=".tif"),
    "-Inf pixel": Case(_with(-np.inf, (0, 0)), InputError, "NaN or infinite", "1 Inf", suffix=".tif"),
    "Inf everywhere": Case(lambda: np.full((48, 64), np.inf, np.float32), InputError, "NaN or infinite",
                           "3072 Inf", suffix=".tif"),
    "0 pixels": Case(lambda: np.zeros((0, 16), np.uint8), InputError, "empty (shape (0, 16))", "no pixels",
                     suffix=".tif"),
    "1 x 1": Case(lambda: np.zeros((1, 1), np.uint8), InputError, "1x1 pixels", "1x1 pixels"),
    "1 x N": Case(lambda: beads()[:1], InputError, "1x64 pixels", "64x1 pixels"),
    "2 x 2": Case(lambda: beads()[:2, :2], InputError, "2x2 pixels", "2x2 pixels"),
    "1 x 100000": Case(lambda: np.full((1, 100_000), 9, np.uint8), InputError, "1x100000 pixels", "100000x1 pixels"),
    "4-D array": Case(lambda: np.zeros((2, 3, 48, 64), np.uint16), InputError, "histdip.restore_stack",
                      "4-D stack", suffix=".tif"),
    "5-D array": Case(lambda: np.zeros((2, 2, 3, 48, 64), np.uint16), InputError, "histdip.restore_stack",
                      "5-D stack", suffix=".tif"),
    "complex pixels": Case(lambda: beads().astype(np.complex64), InputError, "unsupported data type complex64",
                           "unsupported pixel type complex64", suffix=".tif"),
    "all zero": Case(lambda: np.zeros((48, 64), np.uint8), NoSignalError, "every pixel is 0: the image is blank",
                     "every pixel is 0: the image is blank"),
    "all saturated": Case(lambda: np.full((48, 64, 3), 255, np.uint8), NoSignalError, "overexposed",
                          "every pixel is 255/255/255 (the most uint8 holds): the photo is overexposed"),
    "nothing above T": Case(beads, NoSignalError, "no pixel lies above T = 250", "no pixel lies above T = 250",
                            {"threshold": 250}, ("--threshold", "250")),
    "T above 255": Case(beads, ConfigError, "T=300 is outside 0-255", "T=300.0 is outside 0-255",
                        {"threshold": 300}, ("--threshold", "300")),
    "T below 0": Case(beads, ConfigError, "T=-5 is outside 0-255", "T=-5.0 is outside 0-255",
                      {"threshold": -5}, ("--threshold=-5",)),
    "T not a number": Case(beads, ConfigError, "T=nan is outside 0-255", "T=nan is outside 0-255",
                           {"threshold": "nan"}, ("--threshold", "nan")),
    "T an unknown rule": Case(beads, ConfigError, "got 'brightest'", "got 'brightest'",
                              {"threshold": "brightest"}, ("--threshold", "brightest")),
    "channel 3 of RGB": Case(lambda: beads(rgb=True), ConfigError, "only 3 channel(s)", "only 3 channel(s)",
                             {"channel": "3"}, ("--channel", "3")),
    "channel 2 of 2": Case(lambda: np.stack([beads(), beads(seed=1)], -1), ConfigError, "only 2 channel(s)",
                           "only 2 channel(s)", {"channel": "2"}, ("--channel", "2"), ".tif"),
    "rgb of a 2-channel image": Case(lambda: np.stack([beads(), beads(seed=1)], -1), ConfigError,
                                     "'rgb' needs a colour image", "'rgb' needs a colour image", {"channel": "rgb"},
                                     ("--channel", "rgb"), ".tif"),
    "unknown channel name": Case(lambda: beads(rgb=True), ConfigError, "unknown channel", "unknown channel",
                                 {"channel": "purple"}, ("--channel", "purple")),
}


def _save(path, array):
    if path.suffix == ".png":
        return save_png(path, array)
    photometric = "rgb" if array.ndim == 3 and array.shape[-1] == 3 else "minisblack"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tifffile warns about a zero-size page
        tifffile.imwrite(path, array, photometric=photometric)
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_restore_refuses_in_one_line_and_writes_nothing(tmp_path, capsys, caplog, case):
    c = CASES[case]
    path = _save(tmp_path / f"input{c.suffix}", c.array())
    out = tmp_path / "out"
    rc, _, err = run_quietly(capsys, caplog, "restore", path, *c.flags, "--outdir", out, "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", *([path] if c.names_file else ["threshold"]), c.cli)
    assert files_under(out) == [] and partials(tmp_path) == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_api_raises_the_documented_error(case):
    c = CASES[case]
    with pytest.raises(c.error) as err:
        histdip.restore(c.array(), **c.settings)
    assert type(err.value) is c.error
    assert "\n" not in str(err.value) and c.api in str(err.value)


@pytest.mark.parametrize("array, needle", [
    (np.zeros((48, 64, 3), np.float32), "every pixel is 0: the image is blank"),
    (np.full((48, 64), 65535, np.uint16), "every pixel is 65535 (the most uint16 holds): the photo is overexposed"),
])
def test_require_signal_refuses_blank_and_overexposed_frames(array, needle):
    with pytest.raises(NoSignalError, match=re.escape(needle)):
        require_signal(array)
    dim = array.copy()
    dim[0, 0] = 1
    assert require_signal(dim) is dim


def test_the_api_refuses_ragged_and_text_arrays():
    with pytest.raises(InputError, match="not a rectangular array of numbers"):
        histdip.restore([[1, 2, 3]] * 8 + [[1, 2]])
    with pytest.raises(InputError, match="unsupported data type <U1"):
        histdip.restore(np.full((16, 16), "a"))


@pytest.mark.parametrize("shape, axes", [((2, 2, 48, 64), "TZYX"), ((2, 2, 2, 48, 64), "TZCYX")])
def test_the_stack_api_takes_what_the_2d_api_refuses(shape, axes):
    stack = np.broadcast_to(beads(), shape).copy()
    result = histdip.restore_stack(stack, axes, method="threshold", threshold=100)
    assert result.image.shape == shape and result.axes == axes


def test_a_grey_image_ignores_the_channel_as_documented(tmp_path, capsys):
    """--channel picks a plane of a colour image; a grey image has one, and restores as it
    is (histdip.colour.select_channel)."""
    path = save_png(tmp_path / "grey.png", beads())
    out = tmp_path / "out.tif"
    rc, _, err = cli(capsys, "restore", path, "--channel", "blue", "--method", "threshold", "--threshold", "100",
                     "-o", out, "-q")
    assert rc == 0, err
    np.testing.assert_array_equal(
        tifffile.imread(out), histdip.restore(beads(), channel="blue", method="threshold", threshold=100))
