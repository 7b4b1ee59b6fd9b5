"""Validation during a tiny GRPO run on CPU: val/ metrics per validated step, the best step kept and evaluated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_command

pytestmark = pytest.mark.slow

VALIDATION = (
    "+experiment=tiny",
    "validation.every=2",
    "validation.benchmarks=[aime24,amc23]",
    "validation.limit=2",
    # Checkpoints only at step 4 and one kept: step 2's exists because it is validated, and stays when best.
    "trainer.save_steps=4",
    "trainer.save_total_limit=1",
)


def train(run_dir: Path, *overrides: str) -> dict:
    """Run the tiny experiment with validation; its summary."""
    result = run_command("openrs.train", *VALIDATION, *overrides, f"hydra.run.dir={run_dir}", timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]  # the ranks', the launcher's
    return json.loads((run_dir / "summary.json").read_text())


def validated_steps(run_dir: Path) -> list[int]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [row["step"] for row in rows if "val/aime24/pass@1" in row]


def test_validation_logs_each_validated_step_once_and_records_the_best(tmp_path):
    run_dir = tmp_path / "run"
    summary = train(run_dir)
    assert validated_steps(run_dir) == [0, 2, 4]
    rows = {row["step"]: row for row in map(json.loads, (run_dir / "metrics.jsonl").read_text().splitlines())}
    for key in ("val/amc23/pass@1", "val/amc23/pass@1_se", "val/aime24/mean_length", "val/aime24/truncated",
                "val/mean_pass@1", "val/time_s"):  # fmt: skip
        assert key in rows[2], key
    assert "loss" in rows[2] and "reward" in rows[2]  # the training row of that step, not a second one
    scores = [rows[step]["val/mean_pass@1"] for step in (0, 2, 4)]
    best = (0, 2, 4)[scores.index(max(scores))]  # the first of equals, as transformers
    assert summary["best"]["step"] == best and summary["best"]["metric"] == max(scores)
    # Step 2 is saved because it is validated; a limit of 1 keeps the best and the last.
    kept = sorted(p.name for p in (run_dir / "checkpoints").glob("checkpoint-*"))
    assert kept == ["checkpoint-2", "checkpoint-4"]


def test_the_best_checkpoint_outlives_save_total_limit_and_is_evaluated_alone(tmp_path):
    run_dir = tmp_path / "run"
    summary = train(run_dir, "validation.at_start=false")
    assert validated_steps(run_dir) == [2, 4]
    # Step 4 can only replace step 2 by scoring higher.
    best = summary["best"]["step"]
    kept = sorted(p.name for p in (run_dir / "checkpoints").glob("checkpoint-*"))
    assert f"checkpoint-{best}" in kept and "checkpoint-4" in kept
    result = run_command(
        "openrs.evaluate",
        f"model_path={run_dir}",
        "checkpoints=best",
        "eval=smoke",
        "eval.benchmarks=[aime24]",
        f"hydra.run.dir={tmp_path / 'eval'}",
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]  # the ranks', the launcher's
    results = json.loads((tmp_path / "eval" / "results.json").read_text())
    assert [t["label"] for t in results["targets"]] == [f"checkpoint-{best}"]


def test_a_resumed_run_validates_each_step_once_and_keeps_its_best(tmp_path):
    run_dir = tmp_path / "run"
    first = train(run_dir, "trainer.max_steps=2")
    assert validated_steps(run_dir) == [0, 2]
    summary = train(
        run_dir, "trainer.max_steps=4"
    )  # resumes from checkpoint-2: step 0 is not validated again
    assert summary["resumed_from"]
    assert validated_steps(run_dir) == [0, 2, 4]
    rows = {row["step"]: row for row in map(json.loads, (run_dir / "metrics.jsonl").read_text().splitlines())}
    scores = [rows[step]["val/mean_pass@1"] for step in (0, 2, 4)]
    best = (0, 2, 4)[scores.index(max(scores))]  # over both attempts: the first of equals
    assert summary["best"]["step"] == best and summary["best"]["metric"] == max(scores)
    if first["best"]["step"] == best:  # step 4 did not beat the first attempt's best
        assert summary["best"] == first["best"]
    assert (run_dir / "validation.png").exists()


def test_validation_numbers_are_the_same_on_every_layout(tmp_path):
    """Fixed seeds: 1 process, DDP and ZeRO-2 (the work split across 2 ranks, gathered once) validate the
    initial policy to the same numbers, completion lengths included (a random policy scores 0 everywhere)."""
    step0 = {}
    for hardware in ("cpu", "cpu_ddp", "cpu_zero2"):
        run_dir = tmp_path / hardware
        train(
            run_dir,
            f"hardware={hardware}",
            "trainer.max_steps=1",
            "validation.every=1",
            "trainer.save_steps=1",
        )
        rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
        step0[hardware] = {k: v for k, v in rows[0].items() if k.startswith("val/") and k != "val/time_s"}
        assert rows[0]["step"] == 0 and validated_steps(run_dir) == [0, 1]
    assert step0["cpu"]["val/aime24/mean_length"] > 0
    assert step0["cpu_ddp"] == step0["cpu"] and step0["cpu_zero2"] == step0["cpu"]
