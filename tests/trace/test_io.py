"""Reading and writing trace files: layouts kept, bad forms refused in one line."""

import numpy as np
import pytest

from histdip.errors import InputError
from histdip.trace import read_trace, write_trace


def _csv(path, text):
    path.write_text(text)
    return path


def _rows(n, time=True, columns=2, seed=0):
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        vals = [f"{v:.6f}" for v in rng.normal(0, 1, columns)]
        lines.append(",".join(([f"{i * 0.001:.3f}"] if time else []) + vals))
    return lines


def test_csv_with_header_and_time_round_trips(tmp_path):
    src = _csv(tmp_path / "a.csv", "time,ch1,ch2\n" + "\n".join(_rows(100)) + "\n")
    trace = read_trace(src)
    assert trace.values.shape == (100, 2) and trace.names == ("ch1", "ch2") and trace.time_name == "time"
    out = write_trace(tmp_path / "b.csv", trace, trace.values * 2)
    back = read_trace(out)
    assert back.names == trace.names and back.time_name == "time"
    np.testing.assert_array_equal(back.time, trace.time)
    np.testing.assert_allclose(back.values, trace.values * 2)
    assert out.read_text().splitlines()[0] == "time,ch1,ch2"


def test_headerless_csv_with_a_sample_clock_finds_time(tmp_path):
    src = _csv(tmp_path / "a.csv", "\n".join(_rows(80, columns=1)) + "\n")
    trace = read_trace(src)
    assert not trace.header and trace.time is not None and trace.values.shape == (80, 1)
    out = write_trace(tmp_path / "b.csv", trace)
    assert out.read_text().splitlines()[0].count(",") == 1


def test_single_column_without_time(tmp_path):
    src = _csv(tmp_path / "a.csv", "current\n" + "\n".join(_rows(70, time=False, columns=1)) + "\n")
    trace = read_trace(src)
    assert trace.time is None and trace.names == ("current",)


def test_semicolon_delimiter_is_kept(tmp_path):
    rows = [r.replace(",", ";") for r in _rows(70)]
    trace = read_trace(_csv(tmp_path / "a.csv", "t;x;y\n" + "\n".join(rows)))
    assert trace.delimiter == ";"
    assert ";" in write_trace(tmp_path / "b.csv", trace).read_text().splitlines()[1]


@pytest.mark.parametrize("shape", [(100,), (100, 3)])
def test_npy_round_trips_its_shape(tmp_path, shape):
    a = np.random.default_rng(0).normal(size=shape)
    np.save(tmp_path / "a.npy", a)
    trace = read_trace(tmp_path / "a.npy")
    out = write_trace(tmp_path / "b.npy", trace, trace.values + 1)
    np.testing.assert_allclose(np.load(out), a + 1)


BAD = {
    "ragged": ("x,y\n" + "1,2\n" * 70 + "1\n", "ragged CSV: line 72 has 1 fields"),
    "non-numeric": ("x\n" + "1\n" * 70 + "abc\n", "'abc' is not a number"),
    "empty field": ("x,y\n" + "1,2\n" * 70 + "1,\n", "empty field in column 2"),
    "too short": ("x\n" + "1\n" * 10, "10 samples; at least 64"),
    "nan": ("x\n" + "1\n" * 70 + "nan\n", "NaN or infinity"),
    "empty file": ("", "empty"),
    "header only": ("x,y\n", "no samples"),
    "time only": ("time\n" + "1\n" * 70, "only column is time"),
    "empty column name": ("x,\n" + "1,2\n" * 70, "column 2 has no name"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_csv_is_one_line_naming_the_file(tmp_path, case):
    text, needle = BAD[case]
    path = _csv(tmp_path / "bad.csv", text)
    with pytest.raises(InputError) as info:
        read_trace(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ") and needle in message, message


def test_bad_npy_is_refused(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((4, 4, 4)))
    with pytest.raises(InputError, match="1-D"):
        read_trace(tmp_path / "a.npy")
    (tmp_path / "b.npy").write_bytes(b"not numpy")
    with pytest.raises(InputError, match="not a readable NPY"):
        read_trace(tmp_path / "b.npy")
    np.save(tmp_path / "c.npy", np.array(["a"] * 100))
    with pytest.raises(InputError, match="numbers"):
        read_trace(tmp_path / "c.npy")
