"""``python -m benchmarks stop-replay``: a rule replayed on a recorded fit ends on the
check it would end on, and the table reads the scores recorded there."""

import json

import numpy as np

from benchmarks.__main__ import main
from benchmarks.stop_replay import RULES, replay, table
from histdip.config import RestoreConfig


def _record(name, ratios, psnrs, seed=0):
    steps = [10 * (k + 1) for k in range(len(ratios))]
    return dict(seed=seed, name=name, snr=4.0, bin=1, primary="signal", seconds=1.0, iterations=steps[-1],
                final={}, best_step=None, trace=[[k, r] for k, r in zip(steps, ratios)],
                snaps=[[k, p, 0.5, 0.4] for k, p in zip(steps, psnrs)])


def test_the_near_level_patience_keeps_a_fit_near_the_noise_going_and_the_default_does_not():
    # A thresholded fit at 3x the noise, creeping down by under 3 % per check from step 100.
    ratios = [20, 10, 6, 4, 3.5, 3.2, 3.0] + [3.0 * 0.995 ** k for k in range(1, 54)]
    psnrs = list(np.linspace(10, 20, 10)) + [20.0] * 50
    rec = _record("c10", ratios, psnrs)
    stopping = RestoreConfig().stopping
    best, stop, psnr, *_ = replay(rec, stopping)
    assert stop < 200 and best <= stop and psnr == 20.0
    best4, stop4, *_ = replay(rec, stopping.model_copy(update={"near_level": 4.0}))
    assert stop4 > stop and stop4 == 600  # never levelled off by 3 % in 20 checks: the cap


def test_the_table_names_every_rule_and_the_oracle(tmp_path):
    recs = [_record("c00", [8.0] * 30, [12.0] * 29 + [15.0]), _record("c01", [5, 4, 3] + [2.9] * 27, [14.0] * 30)]
    text = table(recs)
    for name in RULES:
        assert f"| {name} |" in text
    assert "| best check of each fit (needs the clean image) | 14.50 |" in text
    assert "| rule | [3, 6) (n=2) |" in text and "| default | 13.00 |" in text  # per SNR bin: (12 + 14) / 2
    out = tmp_path / "tuning"
    out.mkdir()
    for r in recs:
        (out / f"rec_{r['seed']}_{r['name']}.json").write_text(json.dumps(r))
    assert main(["stop-replay", "--seeds", "tuning", "--out", str(tmp_path), "--replay-only"]) == 0


def test_an_all_zero_output_read_from_the_record_never_counts_as_levelled_off():
    # An all-zero output scores the same at every check and finds no bead.
    flat = _record("c01", [5.0] * 60, [18.5] * 60)
    for s in flat["snaps"]:
        s[3] = 0.0
    working = _record("c01", [5.0] * 60, [18.5 + 0.01 * k for k in range(60)])
    stopping = RestoreConfig().stopping
    assert replay(flat, stopping)[1] == 600
    assert replay(working, stopping)[1] < 200


def test_a_record_fitted_with_other_settings_is_fitted_again(tmp_path, monkeypatch):
    import benchmarks.stop_replay as sr

    fitted = []

    def fake(spec, seed, index, *, iterations, overrides):
        fitted.append(spec.name)
        return dict(_record(spec.name, [5.0], [18.0], seed), settings=sr.requested_config(iterations, overrides))

    monkeypatch.setattr(sr, "record_scene", fake)
    sr.record([0], tmp_path, log=None)
    first = list(fitted)
    assert first and all(n.startswith("c") for n in first)
    fitted.clear()
    sr.record([0], tmp_path, log=None)
    assert fitted == []  # all current: kept
    stale = tmp_path / f"rec_0_{first[0]}.json"
    stale.write_text(json.dumps({**json.loads(stale.read_text()), "settings": {"lr": 1.0}}))
    sr.record([0], tmp_path, log=None)
    assert fitted == [first[0]]  # made with other settings (an older default): fitted again
    sr.record([0], tmp_path / "other", log=None, overrides={"network": {"leash": None}})
    assert json.loads((tmp_path / "other" / stale.name).read_text())["settings"]["network"]["leash"] is None


def test_the_replay_reads_the_recorded_zero_ratio():
    # A fit creeping near an all-zero output's ratio for a hundred steps, then fitting.
    ratios = [17.7, 16.3, 15.1] + [15.0 - 0.01 * k for k in range(9)] + [7.4, 3.5, 2.4, 1.9] + [1.8] * 44
    psnrs = [15.0] * 12 + [18.0] * 48
    rec = dict(_record("c12", ratios, psnrs), zero_ratio=17.7)
    stopping = RestoreConfig().stopping
    assert replay(rec, stopping)[1] > 150 and replay(rec, stopping)[2] == 18.0  # not started at 15
    assert replay(rec, stopping.model_copy(update={"started": None}))[1:3] == (100, 15.0)
    old = {k: v for k, v in rec.items() if k != "zero_ratio"}  # a record without one: no reference
    assert replay(old, stopping)[1] == 100
