"""histdip.batch.ledger: done, made otherwise, unfinished or to do, from fingerprints and claims."""

import json

from histdip.batch import Ledger, fingerprint, input_digest
from histdip.batch.ledger import DONE, OTHER, TODO, UNFINISHED
from histdip.config import resolve_config


def test_the_fingerprint_follows_settings_input_and_warm_start(tmp_path):
    a = tmp_path / "a.png"
    a.write_bytes(b"one")
    digest = input_digest(a)
    base = fingerprint(resolve_config(None), digest)
    assert base == fingerprint(resolve_config(None), digest)
    assert base != fingerprint(resolve_config(None, iterations=7), digest)
    assert base != fingerprint(resolve_config(None), "0" * 64)
    assert base != fingerprint(resolve_config(None), digest, warm_start="abc")


def test_states(tmp_path):
    ledger = Ledger(tmp_path)
    out, record = tmp_path / "a_histdip.tif", tmp_path / "a_histdip.json"
    files = [out, record]
    assert ledger.state(out, record, files, "f1") == TODO
    out.write_bytes(b"x")
    assert ledger.state(out, record, files, "f1") == OTHER  # no record: made otherwise
    record.write_text(json.dumps({"batch": {"fingerprint": "f1"}}))
    assert ledger.state(out, record, files, "f1") == DONE
    assert ledger.state(out, record, files, "f2") == OTHER
    ledger.claim(out, "f1")
    assert ledger.state(out, record, files, "f1") == UNFINISHED
    ledger.release(out)
    assert ledger.state(out, record, files, "f1") == DONE
    assert not (tmp_path / ".histdip-batch").exists()


def test_clean_partials_removes_only_this_outputs_temporaries(tmp_path):
    out = tmp_path / "a_histdip.tif"
    mine = [tmp_path / ".a_histdip.x1.partial.tif", tmp_path / ".a_histdip_signal.x2.partial.tif"]
    theirs = tmp_path / ".b_histdip.x3.partial.tif"
    for p in [*mine, theirs]:
        p.write_bytes(b"x")
    Ledger(tmp_path).clean_partials(out)
    assert not any(p.exists() for p in mine) and theirs.exists()
