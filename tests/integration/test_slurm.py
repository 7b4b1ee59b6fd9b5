"""A real SLURM sweep through submitit: 2 points, one of them preempted, requeued and resumed.

Needs a running cluster with a default partition; `sudo bash launchers/setup_local_slurm.sh` starts a
single-node one. The sweep is `hardware=cpu,cpu_ddp` on the tiny experiment: point 0 trains in the
job's process, point 1 launches 2 training processes inside its job (the slurm_4gpu path on CPU).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid

import pytest
import yaml

from openrs.run_dir import read_metrics
from tests.integration.slurm_helpers import REPO, idle_nodes, job_ids, sweep_preempted_once, wait_for_states

STEPS = 4


pytestmark = [
    pytest.mark.slurm,
    pytest.mark.slow,
    pytest.mark.skipif(
        idle_nodes() == 0,
        reason="no SLURM cluster is up (no idle node); start one with: sudo bash launchers/setup_local_slurm.sh",
    ),
]


@pytest.fixture(scope="module")
def slurm_sweep():
    """Run the sweep, preempting point 1 (SIGUSR2, as SLURM signals a job before its time limit)."""
    sweep_dir = REPO / "multirun" / "test_slurm" / uuid.uuid4().hex[:8]
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline", OMP_NUM_THREADS="1")
    command = [
        sys.executable, "-m", "openrs.train", "-m", "+experiment=tiny", "hydra/launcher=openrs_slurm",
        "hardware=cpu,cpu_ddp", f"trainer.max_steps={STEPS}", "trainer.save_steps=2",
        "hydra.launcher.cpus_per_task=1", "hydra.launcher.timeout_min=30", f"hydra.sweep.dir={sweep_dir}",
    ]  # fmt: skip
    run = sweep_preempted_once(command, env, sweep_dir, point=1)
    yield {**run, "dir": sweep_dir}
    if run["returncode"] == 0:  # a failed sweep's folder stays, with submitit's logs in .submitit/
        shutil.rmtree(sweep_dir, ignore_errors=True)


def test_two_point_sweep_completes_on_slurm(slurm_sweep):
    sweep_dir = slurm_sweep["dir"]
    assert slurm_sweep["returncode"] == 0, slurm_sweep["output"][-3000:]
    jobs = job_ids(sweep_dir)
    assert sorted(jobs) == [0, 1]
    for point, hardware in ((0, "cpu"), (1, "cpu_ddp")):
        run_dir = sweep_dir / str(point)
        assert yaml.safe_load((run_dir / "config.yaml").read_text())["hardware"]["name"] == hardware
        assert [row["step"] for row in read_metrics(run_dir / "metrics.jsonl")] == list(range(1, STEPS + 1))
        assert (run_dir / "checkpoints" / f"checkpoint-{STEPS}" / "trainer_state.json").exists()
        wait_for_states(jobs[point], "COMPLETED")


def test_preempted_job_is_requeued_and_resumes(slurm_sweep):
    run_dir = slurm_sweep["dir"] / "1"
    job = job_ids(slurm_sweep["dir"])[1]
    states = wait_for_states(job, "COMPLETED")  # slurmdbd records the end a moment after the sweep ends
    assert states[0] == "REQUEUED", f"job {job}: {states}"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["resumed_from"] is not None  # the requeued job went on from a checkpoint
    assert summary["global_step"] == STEPS
    # Each step once: those logged before the signal and not checkpointed were dropped and redone.
    assert slurm_sweep["preempted_after"] < STEPS
    assert [row["step"] for row in read_metrics(run_dir / "metrics.jsonl")] == list(range(1, STEPS + 1))
    assert (run_dir / "launch" / "accelerate.yaml").exists()  # both starts launched 2 processes
