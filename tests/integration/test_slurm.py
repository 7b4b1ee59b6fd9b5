"""A real SLURM sweep through submitit: 2 points, one of them preempted, requeued and resumed.

Needs a running cluster with a default partition; `sudo bash launchers/setup_local_slurm.sh` starts a
single-node one. The sweep is `hardware=cpu,cpu_ddp` on the tiny experiment: point 0 trains in the
job's process, point 1 launches 2 training processes inside its job (the slurm_4gpu path on CPU).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from openrs.training.metrics import read_metrics
from openrs.training.trainer import last_checkpoint

REPO = Path(__file__).resolve().parents[2]
STEPS = 4


def _cluster_up() -> bool:
    if shutil.which("sbatch") is None or shutil.which("sacct") is None:
        return False
    try:
        ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=20)
        nodes = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "UP" in ping.stdout and any(s.strip("*~#") in ("idle", "mix") for s in nodes.stdout.split())


pytestmark = [
    pytest.mark.slurm,
    pytest.mark.slow,
    pytest.mark.skipif(
        not _cluster_up(),
        reason="no SLURM cluster is up (no idle node); start one with: sudo bash launchers/setup_local_slurm.sh",
    ),
]


def _wait_for(predicate, proc: subprocess.Popen, what: str, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended before {what}: {proc.communicate()[0][-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _job_ids(sweep_dir: Path) -> dict[int, str]:
    """Sweep point -> SLURM job id, from submitit's folders (`<array job>_<index>`)."""
    folders = [p.name for p in (sweep_dir / ".submitit").glob("*_*") if p.is_dir()]
    return {int(name.rsplit("_", 1)[1]): name for name in folders}


def _sacct_states(job_id: str) -> list[str]:
    """Every record of the job, oldest first (-D: a requeued job has one per start)."""
    out = subprocess.run(
        ["sacct", "-D", "-X", "-n", "-P", "-j", job_id, "-o", "State"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def slurm_sweep():
    """Run the sweep, preempting point 1 (SIGUSR2, as SLURM signals a job before its time limit)."""
    sweep_dir = REPO / "multirun" / "test_slurm" / uuid.uuid4().hex[:8]
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline", OMP_NUM_THREADS="1")
    command = [
        sys.executable, "-m", "openrs.train", "-m", "hydra/launcher=openrs_slurm",
        "hardware=cpu,cpu_ddp", f"trainer.max_steps={STEPS}", "trainer.save_steps=2",
        "hydra.launcher.cpus_per_task=1", "hydra.launcher.timeout_min=30", f"hydra.sweep.dir={sweep_dir}",
    ]  # fmt: skip
    proc = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    point = sweep_dir / "1"
    _wait_for(lambda: last_checkpoint(point) is not None, proc, "point 1 saved checkpoint-2")
    preempted_after = max(row["step"] for row in read_metrics(point / "metrics.jsonl"))
    job = _job_ids(sweep_dir)[1]
    subprocess.run(["scancel", "--signal=USR2", job], check=True)
    output, _ = proc.communicate(timeout=900)
    yield {
        "dir": sweep_dir,
        "returncode": proc.returncode,
        "output": output,
        "preempted_after": preempted_after,
    }
    if proc.returncode == 0:  # a failed sweep's folder stays, with submitit's logs in .submitit/
        shutil.rmtree(sweep_dir, ignore_errors=True)


def test_two_point_sweep_completes_on_slurm(slurm_sweep):
    sweep_dir = slurm_sweep["dir"]
    assert slurm_sweep["returncode"] == 0, slurm_sweep["output"][-3000:]
    jobs = _job_ids(sweep_dir)
    assert sorted(jobs) == [0, 1]
    for point, hardware in ((0, "cpu"), (1, "cpu_ddp")):
        run_dir = sweep_dir / str(point)
        assert yaml.safe_load((run_dir / "config.yaml").read_text())["hardware"]["name"] == hardware
        assert [row["step"] for row in read_metrics(run_dir / "metrics.jsonl")] == list(range(1, STEPS + 1))
        assert (run_dir / "checkpoints" / f"checkpoint-{STEPS}" / "trainer_state.json").exists()
        # slurmdbd records the end of a job a moment after the job ends.
        deadline = time.monotonic() + 60
        while _sacct_states(jobs[point])[-1:] != ["COMPLETED"] and time.monotonic() < deadline:
            time.sleep(1)
        assert _sacct_states(jobs[point])[-1] == "COMPLETED", jobs[point]


def test_preempted_job_is_requeued_and_resumes(slurm_sweep):
    run_dir = slurm_sweep["dir"] / "1"
    job = _job_ids(slurm_sweep["dir"])[1]
    states = _sacct_states(job)
    assert states[0] == "REQUEUED" and states[-1] == "COMPLETED", states
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["resumed_from"] is not None  # the requeued job went on from a checkpoint
    assert summary["global_step"] == STEPS
    # Each step once: those logged before the signal and not checkpointed were dropped and redone.
    assert slurm_sweep["preempted_after"] < STEPS
    assert [row["step"] for row in read_metrics(run_dir / "metrics.jsonl")] == list(range(1, STEPS + 1))
    assert (run_dir / "launch" / "accelerate.yaml").exists()  # both starts launched 2 processes
