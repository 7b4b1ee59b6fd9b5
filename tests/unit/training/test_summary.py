"""summary.json: written by the run's main process with provenance, skipped by the other ranks."""

from __future__ import annotations

import json

from openrs.run_dir import RunDir
from openrs.training.summary import write_summary


def test_main_process_writes_fields_and_provenance(tmp_path, monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    path = write_summary(tmp_path, seed=7, global_step=3)
    summary = json.loads(path.read_text())
    assert (summary["seed"], summary["global_step"]) == (7, 3)
    assert summary["packages"]["trl"] and summary["python"]


def test_other_ranks_write_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    assert write_summary(tmp_path, seed=7) is None
    assert not RunDir(tmp_path).summary.exists()
