"""`python -m openrs.evaluate` end to end: a real training run's checkpoints, a resumed rerun, bad input."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from openrs.data.benchmarks import BENCHMARKS
from tests.integration.cli_helpers import run_command


@pytest.fixture(scope="module")
def training_run(tmp_path_factory) -> Path:
    """A real tiny GRPO run: init_model plus checkpoints/checkpoint-2 and checkpoint-4."""
    run_dir = tmp_path_factory.mktemp("train") / "run"
    result = run_command("openrs.train", "+experiment=tiny", f"hydra.run.dir={run_dir}", WANDB_MODE="offline")
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir


@pytest.mark.slow
def test_every_checkpoint_of_a_run_on_all_five_benchmarks_then_a_rerun_resumes(training_run, tmp_path):
    out = tmp_path / "eval"
    args = (
        f"model_path={training_run}",
        "eval=smoke",
        "eval.limit=1",
        "backend.cpu_threads=1",
        f"hydra.run.dir={out}",
    )
    result = run_command("openrs.evaluate", *args)
    assert result.returncode == 0, result.stderr[-3000:]

    results = json.loads((out / "results.json").read_text())
    assert [(t["label"], t["step"]) for t in results["targets"]] == [
        ("init_model", 0), ("checkpoint-2", 2), ("checkpoint-4", 4)
    ]  # fmt: skip
    for target in results["targets"]:
        assert target["generated_now"] == len(BENCHMARKS) * 2  # one problem, two samples each
        for bench in BENCHMARKS:
            rows = [
                json.loads(line) for line in (out / target["label"] / "completions" / f"{bench}.jsonl").open()
            ]
            assert sorted(r["sample"] for r in rows) == [0, 1] and len({r["seed"] for r in rows}) >= 1
            assert all(
                r["completion_tokens"] <= 32 and r["finish_reason"] in ("stop", "length") for r in rows
            )
            metrics = target["benchmarks"][bench]
            assert metrics["pass@1"] == pytest.approx(100 * statistics.fmean(r["correct"] for r in rows))
            assert metrics["mean_completion_tokens"] == pytest.approx(
                statistics.fmean(r["completion_tokens"] for r in rows)
            )
    assert results["protocol"]["sampling"]["seed"] == 42 and results["backend"]["name"] == "transformers"

    table = (out / "results.md").read_text()
    assert (
        "| checkpoint-4 (step 4) |" in table
        and "| *paper:* Open-RS2 (Exp2 step 50) | 30.0 | 85.4 | 80.0 | 30.5 | 52.4 | 55.7 |" in table
    )
    assert table.strip() in result.stdout  # the CLI prints the table it wrote
    assert (out / "accuracy_vs_step.png").read_bytes()[:4] == b"\x89PNG"

    before = {p: p.read_text() for p in out.glob("*/completions/*.jsonl")}
    rerun = run_command("openrs.evaluate", *args)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    again = json.loads((out / "results.json").read_text())
    assert [t["generated_now"] for t in again["targets"]] == [0, 0, 0]
    assert {p: p.read_text() for p in out.glob("*/completions/*.jsonl")} == before
    assert [t["benchmarks"] for t in again["targets"]] == [t["benchmarks"] for t in results["targets"]]


@pytest.mark.parametrize(
    "override, expected",
    [
        ("eval.benchmarks=[aime24,gsm8k]", "unknown benchmark 'gsm8k'"),
        ("model_path=/nonexistent/model", "model_path not found: /nonexistent/model"),
        ("model_path=RUN_WITHOUT_CHECKPOINTS", "has no checkpoints"),
        ("model_path=someone/uncached-model", "cannot reach the Hugging Face Hub"),
    ],
)
def test_bad_input_fails_in_one_line_with_exit_code_2(override, expected, tmp_path):
    run_dir = tmp_path / "crashed_run"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "summary.json").write_text("{}")
    override = override.replace("RUN_WITHOUT_CHECKPOINTS", str(run_dir))
    result = run_command("openrs.evaluate", override, f"hydra.run.dir={tmp_path / 'eval'}", timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-2000:]
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and expected in errors[0]


AIME_ROW = {"id": "a1", "problem": "What is 1+1?", "answer": "2"}


def bad_file_case(case: str, tmp: Path) -> tuple[list[str], str]:
    """Write the bad file of `case` under `tmp`; the overrides that evaluate it and the expected message."""
    bench = tmp / "benchmarks"
    bench.mkdir()
    file = bench / "aime24.jsonl"
    overrides = [f"eval.benchmark_dir={bench}", "eval.benchmarks=[aime24]", "model_path=/nonexistent/model"]
    if case == "empty benchmark file":
        file.write_text("\n")
        return overrides, f"{file} is empty"
    if case == "malformed line":
        file.write_text(json.dumps(AIME_ROW) + '\n{"id": "a2", "problem": \n')
        return overrides, f"{file}:2: not valid JSON"
    if case == "wrong-typed column":
        file.write_text(json.dumps({**AIME_ROW, "problem": ["What", "is", "1+1?"]}) + "\n")
        return overrides, f"{file}:1: 'problem' must be str, got list"
    if case == "null gold answer":
        file.write_text(json.dumps({**AIME_ROW, "answer": None}) + "\n")
        return overrides, f"{file}:1: 'answer' is null"
    if case == "no solution for the paper's MATH-500 gold":
        (bench / "math500.jsonl").write_text(json.dumps(AIME_ROW) + "\n")
        overrides[1] = "eval.benchmarks=[math500]"
        return overrides, f"{bench / 'math500.jsonl'}:1: no 'solution'"
    model = tmp / "checkpoint-4"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "qwen2"}')
    header = json.dumps({"w": {"dtype": "F32", "shape": [64], "data_offsets": [0, 256]}}).encode()
    weights = len(header).to_bytes(8, "little") + header + bytes(256)
    file.write_text(json.dumps(AIME_ROW) + "\n")
    overrides[2] = f"model_path={model}"
    assert case == "truncated checkpoint", case
    (model / "model.safetensors").write_bytes(weights[:-100])  # killed while saving
    # (A bad row in a resumed run's completions is set aside and generated again: tests/unit/evaluate.)
    return overrides, f"{model / 'model.safetensors'} is truncated or corrupt"


@pytest.mark.parametrize(
    "case",
    [
        "empty benchmark file", "malformed line", "wrong-typed column", "null gold answer",
        "no solution for the paper's MATH-500 gold", "truncated checkpoint",
    ],
)  # fmt: skip
def test_bad_files_fail_in_one_line_naming_the_file(case, tmp_path):
    overrides, expected = bad_file_case(case, tmp_path)
    result = run_command("openrs.evaluate", *overrides, f"hydra.run.dir={tmp_path / 'eval'}", timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-2000:]
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and expected in errors[0], output[-2000:]


def test_an_unwritable_run_dir_fails_in_one_line(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    result = run_command("openrs.evaluate", "eval=smoke", f"hydra.run.dir={blocker / 'eval'}", timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 2 and "Traceback" not in output, output[-2000:]
    errors = [line for line in output.splitlines() if "ERROR" in line or "Not a directory" in line]
    assert len(errors) == 1 and str(blocker) in errors[0], output[-2000:]
