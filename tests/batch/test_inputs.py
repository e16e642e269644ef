"""histdip.batch.inputs: folders and patterns into a sorted list of image files."""

import pytest

from histdip.batch import expand_inputs, is_pattern
from histdip.errors import InputError


def touch(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_folder_gives_its_images_sorted_without_outputs_hidden_files_or_others(tmp_path):
    for name in ("b.png", "a.tif", "c.JPG", "notes.txt", ".hidden.png", "a_histdip.tif", "a_histdip_signal.tif"):
        touch(tmp_path / "in" / name)
    touch(tmp_path / "in" / "sub" / "d.png")
    found = expand_inputs([tmp_path / "in"], skip_names=["_histdip"])
    assert [p.name for p in found] == ["a.tif", "b.png", "c.JPG"]


def test_patterns_recurse_with_double_star_and_duplicates_count_once(tmp_path):
    a = touch(tmp_path / "in" / "a.png")
    touch(tmp_path / "in" / "sub" / "d.png")
    found = expand_inputs([str(tmp_path / "in" / "**" / "*.png"), a])
    assert [p.name for p in found] == ["a.png", "d.png"]
    assert is_pattern(str(tmp_path / "*.png")) and not is_pattern(a)


def test_the_output_folder_is_never_an_input(tmp_path):
    touch(tmp_path / "in" / "a.png")
    touch(tmp_path / "in" / "out" / "b.png")
    assert [p.name for p in expand_inputs([str(tmp_path / "in" / "**" / "*.png")], exclude=[tmp_path / "in" / "out"])] \
        == ["a.png"]


def test_missing_or_empty_inputs_are_one_line_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no such file, folder or pattern"):
        expand_inputs([tmp_path / "nope"])
    with pytest.raises(InputError, match="is a folder that holds no image"):
        expand_inputs([tmp_path / "empty"])
    with pytest.raises(InputError, match="the pattern matches no image"):
        expand_inputs([str(tmp_path / "*.png")])


def test_a_file_named_on_its_own_is_kept_as_it_is(tmp_path):
    odd = touch(tmp_path / "odd.txt")
    assert expand_inputs([odd]) == [odd]
