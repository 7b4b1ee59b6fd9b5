"""Resume: a run killed part-way continues from its last complete checkpoint, as if never stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openrs.training.metrics import MetricsJsonlCallback, read_metrics, trim_metrics
from openrs.training.trainer import last_checkpoint

REPO = Path(__file__).resolve().parents[2]
TINY = ["trainer.max_steps=4", "trainer.save_steps=2"]
# Metrics that depend on the weights, optimiser, scheduler, token count and sampling RNG.
REPRODUCED = ("loss", "learning_rate", "num_tokens", "completions/mean_length", "entropy", "kl")


def _checkpoint(run_dir: Path, step: int, state: str | None) -> Path:
    path = run_dir / "checkpoints" / f"checkpoint-{step}"
    path.mkdir(parents=True)
    if state is not None:
        (path / "trainer_state.json").write_text(state)
    return path


def test_last_checkpoint_skips_incomplete_ones(tmp_path):
    assert last_checkpoint(tmp_path) is None
    _checkpoint(tmp_path, 2, json.dumps({"global_step": 2}))
    complete = _checkpoint(tmp_path, 10, json.dumps({"global_step": 10}))  # 10 > 4: numeric, not text order
    _checkpoint(tmp_path, 4, json.dumps({"global_step": 4}))
    _checkpoint(tmp_path, 12, None)  # killed while saving: trainer_state.json is written last
    _checkpoint(tmp_path, 14, '{"global_st')  # killed while writing it
    assert last_checkpoint(tmp_path) == complete


def test_trim_keeps_steps_up_to_the_checkpoint_and_drops_a_half_written_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(
        "".join(json.dumps({"step": s, "loss": 0.1 * s}) + "\n" for s in range(1, 6)) + '{"step": 6, "lo'
    )
    assert trim_metrics(path, 4) == 4
    assert [row["step"] for row in read_metrics(path)] == [1, 2, 3, 4]
    assert path.read_text().endswith("\n")


class _State:
    def __init__(self, step: int, main: bool = True):
        self.global_step, self.epoch, self.is_world_process_zero = step, 0.0, main


def test_metrics_callback_logs_each_step_once(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s}) + "\n" for s in (1, 2, 3)))
    # Another process of the run must not touch the file.
    MetricsJsonlCallback(tmp_path, resume_step=2).on_train_begin(None, _State(2, main=False), None)
    assert len(read_metrics(path)) == 3
    callback = MetricsJsonlCallback(tmp_path, resume_step=2)
    callback.on_train_begin(None, _State(2), None)
    for step in (3, 3, 4):  # a repeated step is not written twice
        callback.on_log(None, _State(step), None, logs={"loss": 0.5})
    assert [row["step"] for row in read_metrics(path)] == [1, 2, 3, 4]


def _train(run_dir: Path, *overrides: str) -> subprocess.Popen:
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline")
    command = [sys.executable, "-m", "openrs.train", f"hydra.run.dir={run_dir}", *TINY, *overrides]
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _finish(proc: subprocess.Popen) -> str:
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, output[-3000:]
    return output


def _steps(run_dir: Path) -> list[int]:
    return [row["step"] for row in read_metrics(run_dir / "metrics.jsonl")]


@pytest.mark.slow
def test_killed_run_resumes_from_its_last_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    proc = _train(run_dir)
    # Kill it as a preempted job dies: after checkpoint-2 and after logging step 3, before checkpoint-4.
    deadline = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline:
        if last_checkpoint(run_dir) is not None and 3 in _steps(run_dir):
            proc.kill()
            break
        time.sleep(0.05)
    proc.communicate(timeout=60)
    assert proc.returncode == -9, "the run finished before it could be killed part-way"
    resume_from = last_checkpoint(run_dir)
    assert resume_from is not None and resume_from.name == "checkpoint-2"
    assert not (run_dir / "summary.json").exists()
    step3_before_kill = next(row for row in read_metrics(run_dir / "metrics.jsonl") if row["step"] == 3)

    _finish(_train(run_dir))
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["resumed_from"] == str(resume_from)
    assert summary["global_step"] == 4
    assert _steps(run_dir) == [1, 2, 3, 4]  # step 3 logged before the kill is logged once, by the resumed run
    # Step 3 again from checkpoint-2 is step 3 as first trained: weights, optimizer, scheduler, RNG restored.
    step3 = next(row for row in read_metrics(run_dir / "metrics.jsonl") if row["step"] == 3)
    for key in REPRODUCED:
        assert step3[key] == pytest.approx(step3_before_kill[key], rel=1e-6, abs=1e-9), key
