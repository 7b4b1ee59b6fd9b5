"""`python -m openrs.data.contamination` on the shipped DeepScaleR subset, and its one-line errors."""

from __future__ import annotations

import json

from openrs.data.benchmarks import BENCHMARKS, load_benchmark
from openrs.data.contamination import main


def test_shipped_subset_report(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["dataset=deepscaler_subset", "--output", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["train_rows"] == 8447
    by_name = {b["benchmark"]: b for b in report["benchmarks"]}
    assert list(by_name) == list(BENCHMARKS)
    # SOURCES.md: MATH-500 test/intermediate_algebra/1849.json is AIME 2017 II Problem 7, in the subset.
    assert "test/intermediate_algebra/1849.json" in by_name["math500"]["exact_ids"]
    # The subset holds AIME up to 2023 only: no AIME 2024 problem can match exactly.
    assert by_name["aime24"]["exact"] == 0
    for name, b in by_name.items():
        assert b["rows"] == len(load_benchmark(name))
        assert set(b["exact_ids"]) <= set(b["near_duplicate_ids"]) <= set(b["ngram_examples"])
    table = capsys.readouterr().out
    assert "| math500 | 500 |" in table


def test_missing_file_exits_2_with_one_line(tmp_path, caplog):
    assert main([f"dataset.path={tmp_path / 'missing.jsonl'}"]) == 2
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "not found" in errors[0] and "\n" not in errors[0]


def test_unknown_mix_source_exits_2(caplog):
    assert main(["dataset=mix_s1_30", "+dataset.mix.open_s2.weight=1"]) == 2
    assert any("unknown mix source 'open_s2'" in r.getMessage() for r in caplog.records)
