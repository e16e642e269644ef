"""Every command and Python example in the README runs as written.

The README's examples work in a folder holding a photo ``photo.png``. Here that folder
is a temporary one and the photo a 320 x 400 crop of the bundled sample (the paper's
``d.png``), so the suite stays quick; ``test_readme_on_the_whole_sample`` (slow) runs
them on the whole photo. A command marked ``[gpu]`` runs on the CPU with 2 iterations,
one marked ``[long]`` with 2 iterations: the mark says so in the README.
"""

import re
import shlex
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from histdip.cli.main import main

README = Path(__file__).parents[1] / "README.md"
SAMPLE = Path(__file__).parents[1] / "src" / "histdip" / "data" / "sample_beads.png"


def readme_blocks(language):
    """The README's fenced blocks of ``language``, in order."""
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def readme_commands():
    """(command line, mark) of every ``histdip`` line of the README's bash blocks."""
    commands = []
    for block in readme_blocks("bash"):
        for line in block.splitlines():
            command, _, comment = line.partition("#")
            if command.strip().startswith("histdip "):
                mark = re.search(r"\[(gpu|long)\]", comment)
                commands.append((command.strip(), mark.group(1) if mark else None))
    return commands


def as_run_here(command, mark):
    """The argument list a marked command runs with here (see the module docstring)."""
    args = shlex.split(command)[1:]
    if mark == "gpu":
        args = ["cpu" if a == "cuda" else a for a in args]
    if mark in ("gpu", "long"):
        args += ["--iterations", "2"]
    return args


def run_readme(folder, photo, monkeypatch, capsys):
    iio.imwrite(folder / "photo.png", photo)
    monkeypatch.chdir(folder)
    commands = readme_commands()
    assert len(commands) >= 10, commands
    for command, mark in commands:
        rc = main(as_run_here(command, mark))
        out, err = capsys.readouterr()
        assert rc == 0, f"{command}\n{out}\n{err}"
    for block in readme_blocks("python"):
        exec(compile(block, "README.md", "exec"), {})


def test_the_setup_commands_come_first():
    first = readme_blocks("bash")[0].splitlines()
    assert [line.split("#")[0].strip() for line in first[:2]] == ["make demo", "make test"]


def test_readme_examples_run_as_written(tmp_path, monkeypatch, capsys):
    photo = iio.imread(SAMPLE)[800:1056, 300:620, :3]
    run_readme(tmp_path, np.ascontiguousarray(photo), monkeypatch, capsys)
    # what the examples say they write is there
    for name in ("histdip-output/photo_histdip.tif", "histdip-output/photo_histdip.json",
                 "histdip-output/photo_histdip_side_by_side.png", "model.pt", "applied/photo_applied.tif"):
        assert (tmp_path / name).is_file(), name


@pytest.mark.slow
def test_readme_on_the_whole_sample(tmp_path, monkeypatch, capsys):
    run_readme(tmp_path, iio.imread(SAMPLE)[..., :3], monkeypatch, capsys)


def test_the_module_map_matches_the_tree():
    """Every module and package of src/histdip is in the README's map, and every name there exists."""
    package = README.parent / "src" / "histdip"
    block = next(b for b in re.findall(r"```text\n(.*?)```", README.read_text(), flags=re.S)
                 if b.startswith("src/histdip/"))
    listed = set(re.findall(r"(?:(?<=[\s(])|^)([a-z_]+(?:\.py|/))(?=[\s,;:)]|$)", block, flags=re.M))
    listed -= {"histdip/", "src/"}
    on_disk = {p.name + ("/" if p.is_dir() else "") for p in package.iterdir()
               if p.name not in ("__init__.py", "__main__.py", "__pycache__") and (p.is_dir() or p.suffix == ".py")}
    for folder in (p for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"):
        on_disk |= {f.name for f in folder.glob("*.py") if f.name != "__init__.py"}
    top = {"benchmarks/", "tests/", "docs/", "decisions/"}
    assert on_disk <= listed, sorted(on_disk - listed)
    assert listed - top <= on_disk, sorted(listed - top - on_disk)
