"""Bad trace files through ``histdip restore``: one line naming the file, exit 2,
nothing written."""

import numpy as np
import pytest

from tests.helpers import assert_one_line_error, cli, files_under

GOOD = "".join(f"{i},{np.sin(i / 5):.4f}\n" for i in range(100))

CASES = {
    "ragged": ("t,x\n" + GOOD + "1,2,3\n", "ragged CSV"),
    "non-numeric": ("t,x\n" + GOOD.replace("10,", "ten,", 1), "'ten' is not a number"),
    "empty column": ("t,x,y\n" + "".join(f"{i},1,\n" for i in range(100)), "empty field in column 3"),
    "too short": ("t,x\n" + GOOD[:40], "at least 64 are needed"),
    "nan": ("t,x\n" + GOOD + "101,nan\n", "NaN or infinity"),
    "empty file": ("", "empty"),
    "binary": (None, "not a text CSV file"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_csv(tmp_path, capsys, case):
    text, needle = CASES[case]
    path = tmp_path / "bad.csv"
    if text is None:
        path.write_bytes(b"\xff\xfe\x00\x81" * 50)
    else:
        path.write_text(text)
    rc, _, err = cli(capsys, "restore", path, "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", str(path), needle)
    assert files_under(tmp_path / "out") == []


def test_bad_npy(tmp_path, capsys):
    path = tmp_path / "bad.npy"
    np.save(path, np.full((100,), np.inf))
    rc, _, err = cli(capsys, "restore", path, "--outdir", tmp_path / "out", "-q")
    assert rc == 2
    assert_one_line_error(err, "restore", str(path), "NaN or infinity")
