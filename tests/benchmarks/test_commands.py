"""The commands on the real data, on a few frames and tiny budgets: what they compute,
print and write (skipped, with the reason, where the shared data folder is absent)."""

import json

import numpy as np
import pytest

from benchmarks.__main__ import main
from benchmarks.datasets import fmd_pairs
from benchmarks.noise import ESTIMATORS, measure_noise
from histdip.noise import noise_variance_map

pytestmark = pytest.mark.data


def test_fmd_first_frames_scores_histdip_and_vst_bm3d_on_8_bit_values(shared_data, tmp_path, capsys):
    out = tmp_path / "fmd.json"
    main(["fmd", "--data", str(shared_data), "--frames", "first", "--limit", "1", "--set", "iterations=3",
          "--out", str(out)])
    result = json.loads(out.read_text())
    (row,) = result["rows"]
    assert row["frame"] == "Confocal_BPAE_B_1" and row["iterations"] == 3
    assert result["overrides"] == {"iterations": 3}
    _, raw, gt = fmd_pairs(shared_data, "first")[0]
    mse = np.mean((raw.astype(float) - gt) ** 2)
    assert row["noisy"] == pytest.approx(10 * np.log10(255**2 / mse))
    assert row["VST+BM3D"] > row["noisy"] + 2  # BM3D denoises this frame by ~5 dB
    printed = capsys.readouterr().out
    assert "| VST+BM3D |" in printed and "mean over 1 frames" in printed


def test_noise_ratios_are_estimate_over_the_true_variance(shared_data):
    rows = measure_noise(shared_data, limit=2)
    _, raw, gt = fmd_pairs(shared_data)[0]
    truth = np.mean((raw / 255.0 - gt / 255.0) ** 2)
    assert rows[0]["truth"] == pytest.approx(truth)
    assert rows[0]["binned"] == pytest.approx(noise_variance_map(raw / 255.0).mean() / truth)
    assert all(0 < r[k] < 10 for r in rows for k in ESTIMATORS)


def test_noise_command_prints_one_row_per_microscope_and_updates_a_doc(shared_data, tmp_path, capsys):
    doc = tmp_path / "noise.md"
    doc.write_text("<!-- results:noise-fmd -->\n<!-- /results:noise-fmd -->\n")
    main(["noise", "--data", str(shared_data), "--verbose", "--update-doc", str(doc), "--doc-section", "noise-fmd"])
    printed = capsys.readouterr().out
    assert "| WideField_BPAE_R_4 |" in printed  # --verbose: per frame
    for kind, n in (("Confocal", 20), ("TwoPhoton", 16), ("WideField", 12)):
        assert f"| {kind} | {n} |" in printed and f"| {kind} | {n} |" in doc.read_text()
    assert "`python -m benchmarks noise --verbose` (commit " in doc.read_text()  # the output flags left out


def test_paper_fits_once_and_scores_ten_photos_with_the_circular_label(shared_data, tmp_path, capsys):
    out = tmp_path / "paper.json"
    main(["paper", "--data", str(shared_data), "--iterations", "2", "--size", "128", "--threads", "1",
          "--out", str(out)])
    result = json.loads(out.read_text())
    assert [r["photo"] for r in result["rows"]] == list("abcdefghij")
    assert result["train"] == "d" and result["iterations"] == 2 and result["note"].startswith("CIRCULAR")
    d = next(r for r in result["rows"] if r["photo"] == "d")
    assert d["threshold"] == 143
    assert all(r["psnr_after"] != r["psnr_before"] for r in result["rows"])
    printed = capsys.readouterr().out
    assert "CIRCULAR" in printed and "| d (fitted on) | 143 |" in printed
    mean_before = np.mean([r["psnr_before"] for r in result["rows"]])
    assert f"| **mean** |  | {mean_before:.2f} |" in printed


def test_primary_picks_the_signal_on_phone_photos_and_the_recording_on_microscope_frames(shared_data):
    from benchmarks.primary import pedestals, primary_markdown

    rows = pedestals(shared_data, log=lambda *_: None)
    groups = {r["group"] for r in rows}
    assert {"smartphone bead photos", "FMD test mix (raw frames)"} <= groups
    assert all(r["primary"] == r["expected"] for r in rows), [r for r in rows if r["primary"] != r["expected"]]
    assert "| smartphone bead photos | 10 |" in primary_markdown(rows)


def test_phone_counts_beads_on_both_runs_and_draws_them(shared_data, tmp_path, monkeypatch):
    import histdip

    from benchmarks import phone

    real = histdip.restore_detailed
    monkeypatch.setattr(histdip, "restore_detailed", lambda img, **kw: real(img[:256, :256], iterations=3, **kw))
    rows = phone.run_phone(shared_data, figures=tmp_path, log=lambda *_: None, limit=1)
    (row,) = rows
    assert row["photo"] == "a" and all(row[k]["count"] >= 0 for k in phone.RUNS)
    assert (tmp_path / "a.png").stat().st_size > 1000
    assert "| a |" in phone.phone_markdown(rows)
