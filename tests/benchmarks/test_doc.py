"""--update-doc: a command's table replaces the block between its markers, after the
command line and the commit; missing markers stop the command in one line."""

import pytest

from benchmarks.doc import check_doc, git_commit, markdown_table, replace_section, update_doc

pytestmark = pytest.mark.unit

DOC = "# Results\n\ntext\n<!-- results:fmd -->\nold table\n<!-- /results:fmd -->\nmore text\n"


def test_the_block_between_the_markers_is_replaced_and_nothing_else():
    out = replace_section(DOC, "fmd", "| a |\n|---|\n")
    assert out == "# Results\n\ntext\n<!-- results:fmd -->\n| a |\n|---|\n<!-- /results:fmd -->\nmore text\n"
    assert replace_section(out, "fmd", "| a |\n|---|") == out  # idempotent


@pytest.mark.parametrize("text, found", [
    ("no markers\n", "found 0 and 0"),
    ("<!-- results:fmd -->\nx\n", "found 1 and 0"),
    ("<!-- /results:fmd -->\n<!-- results:fmd -->\n", "found 1 and 1"),
    (DOC + DOC, "found 2 and 2"),
    (DOC.replace("fmd", "noise"), "found 0 and 0"),
])
def test_missing_repeated_or_swapped_markers_are_refused(text, found):
    with pytest.raises(ValueError, match=found):
        replace_section(text, "fmd", "table")


def test_update_doc_writes_command_and_commit_and_refuses_missing_markers(tmp_path):
    doc = tmp_path / "results.md"
    doc.write_text(DOC)
    update_doc(doc, "fmd", markdown_table(["m", "PSNR"], [["histdip", "33.18"]]), ["fmd", "--set", "lr=0.006 x"])
    text = doc.read_text()
    assert "`python -m benchmarks fmd --set 'lr=0.006 x'` (commit " in text
    assert git_commit() in text
    assert "| histdip | 33.18 |" in text and "old table" not in text
    with pytest.raises(SystemExit) as stop:
        check_doc(doc, "noise")
    assert "\n" not in str(stop.value) and "<!-- results:noise -->" in str(stop.value)
    with pytest.raises(SystemExit, match="cannot read"):
        check_doc(tmp_path / "absent.md", "fmd")


def test_the_commit_is_unknown_outside_a_checkout(tmp_path):
    assert git_commit(tmp_path).startswith("unknown commit")
