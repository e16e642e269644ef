"""Property tests of the public functions over shapes, dtypes and value ranges.

Every call returns a finite image of its input's shape, or raises the error its
docstring names: :class:`~histdip.errors.InputError` exactly where
:func:`histdip.validate.validate_image` refuses the array, :class:`NoSignalError` where
nothing lies above T, ``ValueError`` for :func:`histdip.count.count_objects`.

The examples are derandomized (the same ones on every run, so CI never flakes) and
small: the whole file takes about 15 s on one core (``OMP_NUM_THREADS=1``), well inside
the minute it may take on a slower machine.
"""

import numpy as np
import pytest
import tifffile
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import histdip
from histdip.count import count_objects
from histdip.errors import InputError, NoSignalError
from histdip.io import read_image
from histdip.metrics import psnr, ssim
from histdip.validate import validate_image

FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


def fuzz(examples):
    """The shared settings with ``examples`` examples."""
    return settings(FUZZ, max_examples=examples)


#: A tiny fit: the network's machinery runs end to end in milliseconds.
TINY_FIT = dict(iterations=3, network=dict(channels_down=[4, 4], channels_up=[4, 4], channels_skip=[2, 2]),
                patch_size=None)

INTEGER_RANGES = {"uint8": (0, 255), "uint16": (0, 65535), "int16": (-32768, 32767), "int32": (-2**31, 2**31 - 1)}


@st.composite
def float_range(draw):
    """(lo, hi) of a float image: on [0, 1], on a camera's counts, signed, tiny or huge.

    Huge values are positive, and spans stay within float32's: beyond, the three
    findings of :func:`test_extreme_float_images_are_refused_or_restored_finite`."""
    return draw(st.sampled_from([(0.0, 1.0), (0.0, 255.0), (0.0, 65535.0), (-1.0, 1.0), (-1e3, 1e4), (0.0, 1e-30),
                                 (1e6, 1e6 + 1.0), (0.0, 1e38)]))


DTYPES = ("uint8", "uint16", "int16", "int32", "float32", "float64", "bool")


@st.composite
def images(draw, min_side=1, max_side=28, channels=(None, None, 1, 2, 3, 4), finite=True, dtypes=DTYPES):
    """An (H, W) or (H, W, C) array: hypothesis' own arrays (mostly one value, a few
    others), or noise over blobs made from a drawn seed (an image with structure)."""
    dtype = draw(st.sampled_from(dtypes))
    h, w = draw(st.integers(min_side, max_side)), draw(st.integers(min_side, max_side))
    c = draw(st.sampled_from(channels))
    shape = (h, w) if c is None else (h, w, c)
    if draw(st.booleans()):
        if dtype == "bool":
            elements = st.booleans()
        elif dtype in INTEGER_RANGES:
            elements = st.integers(*INTEGER_RANGES[dtype])
        else:
            lo, hi = draw(float_range())
            if dtype == "float32":  # bounds float32 can hold exactly, as hypothesis asks
                lo, hi = float(np.float32(lo)), float(np.float32(hi))
            elements = st.floats(lo, hi, width=32 if dtype == "float32" else 64)
            if not finite:
                elements = st.one_of(elements, st.sampled_from([np.nan, np.inf, -np.inf]))
        return draw(hnp.arrays(dtype, shape, elements=elements))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    yy, xx = np.mgrid[:h, :w]
    unit = 0.05 + 0.02 * rng.standard_normal(shape)
    for _ in range(int(rng.integers(0, 4))):
        y, x, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(1, 5)
        blob = np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * r * r)) * rng.uniform(0.2, 0.9)
        unit += blob if c is None else blob[..., None]
    unit = np.clip(unit, 0, 1)
    if dtype == "bool":
        return unit > 0.5
    if dtype in INTEGER_RANGES:
        lo, hi = INTEGER_RANGES[dtype]
        return np.round(lo + unit * (hi - lo)).astype(dtype)
    lo, hi = draw(float_range())
    out = (lo + unit * (hi - lo)).astype(dtype)
    if not finite and draw(st.booleans()):
        out.flat[int(rng.integers(out.size))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return out


def refused(image):
    """Whether :func:`validate_image` refuses ``image`` (then every function must too)."""
    try:
        validate_image(image)
    except InputError:
        return True
    return False


def assert_image_like(out, image, *, ndim=None):
    """``out`` is a finite float image with ``image``'s height and width."""
    out = np.asarray(out)
    assert out.shape[:2] == np.shape(image)[:2], (out.shape, np.shape(image))
    assert ndim is None or out.ndim == ndim, out.shape
    assert np.isfinite(out).all(), "non-finite values in the output"


def restored_or_documented_error(call, image):
    """``call()``'s result, or None where it raised what its contract allows.

    Each outcome is an event (``--hypothesis-show-statistics``): most examples must
    restore, or the properties hold of errors alone."""
    if refused(image):
        event("refused by validate_image")
        with pytest.raises(InputError):
            call()
        return None
    try:
        result = call()
    except NoSignalError:
        event("nothing above T")
        return None
    event("restored")
    return result


# ------------------------------------------------------------------ validate


@fuzz(300)
@given(image=images(finite=False))
def test_validate_gives_a_unit_scale_or_one_input_error(image):
    try:
        valid = validate_image(image)
    except InputError as err:
        assert "\n" not in str(err)
        return
    assert min(image.shape[:2]) >= 8 and np.isfinite(image).all()
    assert np.isfinite([valid.lo, valid.hi]).all() and valid.hi > valid.lo
    unit = valid.to_unit()
    assert np.isfinite(unit).all() and unit.min() >= 0.0 and unit.max() <= 1.0


# ------------------------------------------------------------------ restore


@fuzz(150)
@given(image=images(min_side=6, max_side=40, finite=False),
       threshold=st.sampled_from(["learned", "yen", "otsu", 100, 0.5]))
def test_threshold_restore_is_finite_and_keeps_the_shape(image, threshold):
    result = restored_or_documented_error(
        lambda: histdip.restore_detailed(image, method="threshold", threshold=threshold), image)
    if result is None:
        return
    assert_image_like(result.image, image, ndim=2)
    for name, layer in (result.layers or {}).items():
        if name != "split":
            assert_image_like(layer, image, ndim=2)


@fuzz(40)
@given(image=images(min_side=8, max_side=24, channels=(None, 3)),
       options=st.sampled_from([{}, {"threshold": "yen"}, {"method": "dip"}, {"threshold": 100, "sample": None}]))
def test_a_short_fit_is_finite_and_keeps_the_shape(image, options):
    result = restored_or_documented_error(
        lambda: histdip.restore_detailed(image, **TINY_FIT, **options), image)
    if result is None:
        return
    assert_image_like(result.image, image, ndim=2)
    assert result.fit is not None and result.fit.iterations <= TINY_FIT["iterations"]


def _extreme(kind):
    image = np.zeros((16, 16), np.float64 if kind == "float64 beyond float32" else np.float32)
    if kind == "float64 beyond float32":  # float32 output: inf
        image[4:8, 4:8] = 1e300
    elif kind == "span beyond float32":  # every value fits float32, their difference does not
        image[:] = -1.1441045e38
        image[0, 0] = 2.2587191e38
    else:  # lo + 1 == lo in float64: a scale of zero width
        image[:] = -2.0**60
    return image


# Found by the fuzzing: the image's intensity scale (histdip.validate.intensity_range)
# broke on these; validate_image now refuses values float32 cannot hold, and a constant
# image's scale has a width at any magnitude.
@pytest.mark.parametrize("kind", ["float64 beyond float32", "span beyond float32", "constant below -2**53"])
def test_extreme_float_images_are_refused_or_restored_finite(kind):
    image = _extreme(kind)
    if kind != "constant below -2**53":
        with pytest.raises(InputError, match="beyond what float32 holds"):
            histdip.restore(image, **TINY_FIT, threshold="yen")
        return
    with pytest.raises(NoSignalError):  # uniform: nothing above any T, said in one line
        histdip.restore(image, **TINY_FIT, threshold="yen")


# ------------------------------------------------------------------ stacks


@fuzz(30)
@given(planes=st.integers(1, 3), side=st.integers(5, 20), dtype=st.sampled_from(["uint8", "uint16", "float32"]),
       axes=st.sampled_from(["TYX", "ZYX", "CYX"]), seed=st.integers(0, 2**16), fit=st.booleans())
def test_a_stack_comes_back_with_its_shape(planes, side, dtype, axes, seed, fit):
    rng = np.random.default_rng(seed)
    stack = rng.uniform(0, 0.1, (planes, side, side + 3))
    stack[:, side // 3: side // 2, side // 3: side // 2] += rng.uniform(0, 0.9)
    stack = (stack * (255 if dtype == "uint8" else 65535 if dtype == "uint16" else 1)).astype(dtype)
    options = dict(TINY_FIT, stopping={"rule": "fixed"}) if fit else dict(method="threshold")
    try:
        result = histdip.restore_stack(stack, axes, **options)
    except InputError:
        assert side < 8  # planes too small: the one documented refusal here
        return
    except NoSignalError as err:
        assert str(err).startswith("plane ")
        return
    assert side >= 8
    assert result.image.shape == stack.shape and result.axes == axes
    assert np.isfinite(result.image).all()
    assert len(result.records) == planes


# ------------------------------------------------------------------ reading files


def _write(path, array, kind):
    if kind == "tif":
        tifffile.imwrite(path, array)
    else:
        import imageio.v3 as iio

        iio.imwrite(path, array, extension=".png")


@fuzz(150)
@given(data=st.data(), kind=st.sampled_from(["tif", "png"]),
       damage=st.sampled_from(["none", "none", "truncated", "junk after the header"]))
def test_read_image_reads_what_was_written_or_refuses_in_one_line(tmp_path, data, kind, damage):
    if kind == "png":  # what PNG holds: 8-bit grey or colour, 16-bit grey
        image = data.draw(st.one_of(images(min_side=6, max_side=20, channels=(None, 3, 4), dtypes=("uint8",)),
                                    images(min_side=6, max_side=20, channels=(None,), dtypes=("uint16",))))
    else:  # any pixel type, NaN included, and now and then a stack of frames
        image = data.draw(st.one_of(images(min_side=6, max_side=20, finite=False),
                                    images(min_side=6, max_side=20, finite=False),
                                    hnp.arrays("uint8", hnp.array_shapes(min_dims=3, max_dims=4, max_side=10))))
    path = tmp_path / f"fuzz.{kind}"
    _write(path, image, kind)
    whole = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(whole[: int(len(whole) * data.draw(st.floats(0.02, 0.99)))])
    elif damage != "none":
        path.write_bytes(whole[:8] + data.draw(st.binary(min_size=0, max_size=64)))
    try:
        back = read_image(path)
    except InputError as err:
        event("refused")
        message = str(err)
        assert "\n" not in message and str(path) in message
        return
    event("read")
    assert back.dtype in (np.uint8, np.uint16, np.float32, np.float64), back.dtype
    assert back.ndim in (2, 3) and min(back.shape[:2]) >= 8 and np.isfinite(back).all()
    if damage == "none" and image.ndim == 2:
        assert back.shape == image.shape
        expected = image.astype(np.uint8) * 255 if image.dtype == bool else image
        np.testing.assert_array_equal(back, expected.astype(back.dtype))


# ------------------------------------------------------------------ counting


@fuzz(150)
@given(image=images(min_side=1, max_side=40, channels=(None,), finite=False),
       noise_sigma=st.one_of(st.none(), st.floats(0.0, 1e3)), saturated=st.booleans())
def test_count_objects_measures_each_object_or_raises_value_error(image, noise_sigma, saturated):
    mask = image > np.median(image) if saturated and image.dtype != bool else None
    try:
        counts = count_objects(image, noise_sigma=noise_sigma, saturated=mask)
    except ValueError as err:
        assert not np.isfinite(image.astype(np.float64)).all(), err
        event("refused")
        return
    event(f"{'no' if counts.count == 0 else 'some'} objects")
    assert counts.labels.shape == image.shape
    assert counts.count == len(counts.table["id"]) == int(counts.labels.max())
    for column, values in counts.table.items():
        assert len(values) == counts.count and np.isfinite(np.asarray(values, np.float64)).all(), column


@fuzz(20)
@given(image=images(min_side=8, max_side=24, channels=(None, 3)))
def test_count_objects_refuses_what_is_not_one_grey_plane(image):
    bad = image[..., None] if image.ndim == 2 else image
    with pytest.raises(ValueError):
        count_objects(bad)


# ------------------------------------------------------------------ metrics


@st.composite
def image_pairs(draw):
    a = draw(images(min_side=1, max_side=24, channels=(None, 3)))
    kind = draw(st.sampled_from(["same", "noisy", "constant", "independent"]))
    if kind == "same":
        b = a.copy()
    elif kind == "constant":
        b = np.full_like(a, a.flat[0])
    elif kind == "independent":
        b = draw(hnp.arrays(a.dtype, a.shape, elements=hnp.from_dtype(a.dtype, allow_nan=False,
                                                                       allow_infinity=False)))
    else:
        rng = np.random.default_rng(draw(st.integers(0, 2**16)))
        b = (a.astype(np.float64) + rng.normal(0, 1, a.shape)).astype(a.dtype)
    return a, b


@fuzz(200)
@given(pair=image_pairs(), affine=st.booleans(),
       data_range=st.one_of(st.none(), st.floats(1e-6, 1e6), st.sampled_from([0.0, -1.0, np.inf, np.nan])))
def test_psnr_and_ssim_are_numbers_or_one_input_error(pair, affine, data_range):
    a, b = pair
    try:
        value = psnr(a, b, data_range=data_range, affine=affine)
    except InputError as err:
        assert "\n" not in str(err)
    else:
        assert not np.isnan(value)
        assert np.isfinite(value) or np.array_equal(a, b) or affine, value
    try:
        value = ssim(a, b, data_range=data_range, affine=affine, channel_axis=-1 if a.ndim == 3 else None)
    except InputError as err:
        assert "\n" not in str(err)
    else:
        assert np.isfinite(value) and -1.0 - 1e-9 <= value <= 1.0 + 1e-9, value
