"""The tiny experiment under 2 processes: accelerate launch, DDP over gloo on CPU (`hardware=cpu_ddp`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from openrs.run_dir import read_metrics
from tests.integration.cli_helpers import ALARMING_NOISE

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_tiny_experiment_trains_in_two_processes(tmp_path):
    run_dir = tmp_path / "run"
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline")
    command = [
        sys.executable, "-m", "openrs.train", "+experiment=tiny", "hardware=cpu_ddp", f"hydra.run.dir={run_dir}",
        "trainer.max_steps=2", "trainer.save_steps=2",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr  # the launched processes' too
    assert not [noise for noise in ALARMING_NOISE if noise in output], output[-3000:]

    assert yaml.safe_load((run_dir / "launch" / "accelerate.yaml").read_text())["num_processes"] == 2
    checkpoint = run_dir / "checkpoints" / "checkpoint-2"
    # Each process saves its own RNG state: two files, so two ranks trained together.
    assert sorted(p.name for p in checkpoint.glob("rng_state*.pth")) == ["rng_state_0.pth", "rng_state_1.pth"]
    assert [row["step"] for row in read_metrics(run_dir / "metrics.jsonl")] == [1, 2]  # main process only
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["global_step"] == 2
    # 8 completions per process, 16 per step: the generation batch spans both processes.
    assert json.loads((checkpoint / "trainer_state.json").read_text())["train_batch_size"] == 8
    assert (
        "launching 2 training process(es) on CPU; batch 8 x 2 x 1 = 16" in (run_dir / "train.log").read_text()
    )
