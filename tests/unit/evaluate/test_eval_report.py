"""results.md beside the paper's Table 2, and the accuracy-against-step plot."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from openrs.evaluate.backends import ResolvedBackend
from openrs.evaluate.config import EvalConfig, ProtocolConfig
from openrs.evaluate.metrics import Sample, average_over_benchmarks, benchmark_metrics
from openrs.evaluate.report import (
    CURVE_FILE,
    PAPER_TABLE2,
    RESULTS_FILE,
    TABLE_FILE,
    markdown_report,
    paper_row_name,
    write_report,
)
from openrs.evaluate.runner import results_document

BACKEND = ResolvedBackend("transformers", "cpu", "float32")


def target(label: str, step: int | None, correct: dict[str, list[bool]]) -> dict:
    per_benchmark = {
        b: benchmark_metrics([[Sample("1", c)] for c in cs], ks=[1]) for b, cs in correct.items()
    }
    average = {"over": list(per_benchmark), **average_over_benchmarks(per_benchmark)}
    return {
        "label": label,
        "path": f"/m/{label}",
        "step": step,
        "benchmarks": per_benchmark,
        "average": average,
    }


def test_table_puts_the_model_beside_every_paper_row():
    cfg = EvalConfig(model_path="/m", eval=ProtocolConfig(benchmarks=["aime24", "amc23"], limit=4))
    scores = {"aime24": [True, False, False, False], "amc23": [True, True, False, False]}
    text = markdown_report(results_document(cfg, BACKEND, [target("checkpoint-50", 50, scores)], 1.0))
    # pass@1 and its standard error over 4 problems: 25 ± 25, 50 ± 28.9, and their average.
    row = next(line for line in text.splitlines() if line.startswith("| checkpoint-50 (step 50)"))
    assert row.split(" | ")[1:] == ["25.0 ± 25.0", "–", "50.0 ± 28.9", "–", "–", "37.5 ± 19.1 |"]
    assert "avg (2 of 5)" in text and "not comparable with the paper" in text
    for model, values in PAPER_TABLE2.items():
        assert (
            f"| *paper:* {paper_row_name(model)} | " + " | ".join(f"{v:.1f}" for v in values) + " |" in text
        )
    # Each Open-RS row says which checkpoint of its experiment it is.
    assert "| *paper:* Open-RS1 (Exp1 step 100) |" in text and "| *paper:* Open-RS3 (Exp3 step 50) |" in text
    assert "| *paper:* DeepSeek-R1-Distill-Qwen-1.5B (as reported) |" in text


def test_write_report_plots_two_or_more_steps(tmp_path):
    cfg = EvalConfig(model_path="/run", eval=ProtocolConfig(benchmarks=["math500"]))
    steps = [target(f"checkpoint-{s}", s, {"math500": [True, s > 0, False]}) for s in (0, 50, 100)]
    written = write_report(tmp_path, results_document(cfg, BACKEND, steps, 1.0))
    assert [p.name for p in written] == [RESULTS_FILE, TABLE_FILE, CURVE_FILE]
    assert (tmp_path / CURVE_FILE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(tmp_path / CURVE_FILE) as image:  # two panels: this run, and the paper's curves
        assert image.size == (13 * 120, 5 * 120)
    saved = json.loads((tmp_path / RESULTS_FILE).read_text())
    assert saved["paper_reference"]["experiments"] == ["exp1", "exp2", "exp3"]  # no experiment matched: all
    assert [t["average"]["pass@1"] for t in saved["targets"]] == pytest.approx([100 / 3, 200 / 3, 200 / 3])
    assert saved["paper_table2"]["Open-RS3"]["aime24"] == 46.7


def test_no_plot_for_a_single_model(tmp_path):
    cfg = EvalConfig(model_path="/m", eval=ProtocolConfig(benchmarks=["math500"]))
    written = write_report(
        tmp_path, results_document(cfg, BACKEND, [target("m", None, {"math500": [True]})], 1.0)
    )
    assert CURVE_FILE not in [p.name for p in written]


def test_the_paper_panel_can_be_left_out(tmp_path):
    cfg = EvalConfig(model_path="/run", eval=ProtocolConfig(benchmarks=["math500"]), paper_reference="none")
    steps = [target(f"checkpoint-{s}", s, {"math500": [True, s > 0, False]}) for s in (0, 50)]
    write_report(tmp_path, results_document(cfg, BACKEND, steps, 1.0))
    with Image.open(tmp_path / CURVE_FILE) as image:
        assert image.size == (8 * 120, 5 * 120)
