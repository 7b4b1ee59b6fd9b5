"""The tiny experiment under DeepSpeed ZeRO-2/3 with 2 processes on CPU, through openrs's launcher.

The same accelerate/DeepSpeed files `hardware=local_4gpu` writes; DeepSpeed's CPU accelerator and gloo.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from openrs.run_dir import last_checkpoint, read_metrics
from tests.integration.cli_helpers import ALARMING_NOISE

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("deepspeed") is None, reason="needs deepspeed (dev extra)"
)

REPO = Path(__file__).resolve().parents[2]
# A length reward differs between completions of one prompt (the random policy is never right), so
# advantages and gradients are not zero.
LENGTH_REWARD = (
    "+reward.funcs.length={_target_: openrs.rewards.soft_overlong_punishment_reward, weight: 1.0,"
    " max_completion_len: 32, soft_punish_cache: 32}"
)
TINY = ["+experiment=tiny", LENGTH_REWARD, "trainer.save_steps=2"]
REPRODUCED = ("loss", "grad_norm", "learning_rate", "num_tokens", "completions/mean_length", "reward")


def _command(run_dir: Path, hardware: str, *overrides: str) -> list[str]:
    return [
        sys.executable, "-m", "openrs.train", f"hardware={hardware}", f"hydra.run.dir={run_dir}",
        *TINY, *overrides,
    ]  # fmt: skip


def _env() -> dict[str, str]:
    return dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline")


def _weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(folder / "model.safetensors")


@pytest.mark.slow
@pytest.mark.parametrize("hardware, stage", [("cpu_zero2", 2), ("cpu_zero3", 3)])
def test_tiny_experiment_trains_under_deepspeed_in_two_processes(tmp_path, hardware, stage):
    run_dir = tmp_path / "run"
    command = _command(run_dir, hardware, "trainer.max_steps=2")
    result = subprocess.run(command, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr  # the launched processes' too
    assert not [noise for noise in ALARMING_NOISE if noise in output], output[-3000:]

    accelerate = yaml.safe_load((run_dir / "launch" / "accelerate.yaml").read_text())
    assert (accelerate["distributed_type"], accelerate["num_processes"]) == ("DEEPSPEED", 2)
    assert accelerate["deepspeed_config"]["zero3_init_flag"] is (stage == 3)
    deepspeed = json.loads((run_dir / "launch" / "deepspeed.json").read_text())
    assert deepspeed["zero_optimization"]["stage"] == stage
    # DeepSpeed asserts train_batch_size = micro batch x accumulation x world size at start-up.
    assert deepspeed["train_batch_size"] == 16 and deepspeed["train_micro_batch_size_per_gpu"] == 8

    checkpoint = run_dir / "checkpoints" / "checkpoint-2"
    assert sorted(p.name for p in checkpoint.glob("rng_state*.pth")) == ["rng_state_0.pth", "rng_state_1.pth"]
    # DeepSpeed's own sharded state, one optimizer partition per rank.
    assert len(list((checkpoint / "global_step2").glob("*optim_states.pt"))) == 2
    rows = read_metrics(run_dir / "metrics.jsonl")
    assert [row["step"] for row in rows] == [1, 2]
    assert any(row["grad_norm"] > 0 for row in rows)
    # The saved model is whole (ZeRO-3 gathers it) and trained: the start's tensors (DeepSpeed also
    # writes the tied lm_head), other values.
    start, trained = _weights(run_dir / "init_model"), _weights(checkpoint)
    assert {k: trained[k].shape for k in start} == {k: v.shape for k, v in start.items()}
    assert any(not (trained[k] == start[k]).all() for k in start)
    assert json.loads((run_dir / "summary.json").read_text())["global_step"] == 2


def _process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    import psutil

    try:
        root = psutil.Process(pid)
        return [root.pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.NoSuchProcess:
        return []


@pytest.mark.slow
def test_zero2_run_killed_with_sigkill_resumes_from_its_last_checkpoint(tmp_path):
    import psutil

    run_dir = tmp_path / "run"
    command = _command(run_dir, "cpu_zero2", "trainer.max_steps=4")
    log = (tmp_path / "first.log").open("w")
    proc = subprocess.Popen(command, cwd=REPO, env=_env(), stdout=log, stderr=subprocess.STDOUT)
    killed: list[int] = []
    deadline = time.monotonic() + 900
    # As a preempted job dies: every process at once, after checkpoint-2 and step 3, before checkpoint-4.
    while proc.poll() is None and time.monotonic() < deadline:
        steps = [row["step"] for row in read_metrics(run_dir / "metrics.jsonl")] if run_dir.exists() else []
        if last_checkpoint(run_dir) is not None and 3 in steps:
            killed = _process_tree(proc.pid)
            for pid in killed:
                os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait(timeout=60)
    log.close()
    output = (tmp_path / "first.log").read_text()[-3000:]
    assert proc.returncode == -9 and len(killed) >= 4, f"not killed part-way: {output}"
    psutil.wait_procs([p for p in map(_alive, killed) if p is not None], timeout=30)
    resume_from = last_checkpoint(run_dir)
    assert resume_from is not None and resume_from.name == "checkpoint-2"
    step3_before_kill = next(row for row in read_metrics(run_dir / "metrics.jsonl") if row["step"] == 3)

    result = subprocess.run(command, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert (summary["resumed_from"], summary["global_step"]) == (str(resume_from), 4)
    rows = read_metrics(run_dir / "metrics.jsonl")
    assert [row["step"] for row in rows] == [1, 2, 3, 4]
    # DeepSpeed restored both ranks' partitions of the weights and optimizer: step 3 is trained again alike.
    step3 = next(row for row in rows if row["step"] == 3)
    for key in REPRODUCED:
        assert step3[key] == pytest.approx(step3_before_kill[key], rel=1e-5, abs=1e-8), key


def _alive(pid: int):
    import psutil

    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None
