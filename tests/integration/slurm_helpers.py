"""What the SLURM tests share: is a cluster up, which job ran a sweep point, and its accounting record.

slurmdbd records a job's end a moment after the job ends (and after submitit has seen its result), so
a test that reads `sacct` right after a sweep can see RUNNING; `wait_for_states` polls, bounded.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from openrs.run_dir import last_checkpoint, read_metrics

REPO = Path(__file__).resolve().parents[2]
ACCOUNTING_TIMEOUT_S = 120.0
# States after which sacct will not change a record any more.
FINAL_STATES = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED")


def idle_nodes() -> int:
    """How many nodes of the cluster are idle (0 when no cluster answers)."""
    if shutil.which("sbatch") is None or shutil.which("sacct") is None:
        return 0
    try:
        ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=20)
        nodes = subprocess.run(
            ["sinfo", "-h", "-N", "-o", "%N %t"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return 0
    if "UP" not in ping.stdout:
        return 0
    states = dict(line.split() for line in nodes.stdout.splitlines() if len(line.split()) == 2)
    return sum(state.strip("*~#") in ("idle", "mix") for state in states.values())


def wait_for(
    predicate: Callable[[], bool], proc: subprocess.Popen, what: str, timeout_s: float = 600
) -> None:
    """Poll `predicate` until true; fail (killing `proc`) if `proc` ends first or `timeout_s` passes."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended before {what}: {proc.communicate()[0][-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def sweep_preempted_once(command: list[str], env: dict[str, str], sweep_dir: Path, point: int) -> dict:
    """Run the sweep `command`; once point `point` saved a checkpoint, SIGUSR2 its job (as SLURM signals
    a job before its time limit), then wait for the sweep to end."""
    proc = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    run_dir = sweep_dir / str(point)
    wait_for(lambda: last_checkpoint(run_dir) is not None, proc, f"point {point} saved a checkpoint")
    preempted_after = max(row["step"] for row in read_metrics(run_dir / "metrics.jsonl"))
    job = job_ids(sweep_dir)[point]
    subprocess.run(["scancel", "--signal=USR2", job], check=True)
    output, _ = proc.communicate(timeout=900)
    return {
        "run_dir": run_dir,
        "job": job,
        "returncode": proc.returncode,
        "output": output,
        "preempted_after": preempted_after,
    }


def job_ids(sweep_dir: Path) -> dict[int, str]:
    """Sweep point -> SLURM job id, from submitit's folders: `<array job>_<index>`, or `<job>` for a
    sweep of one point (submitit submits it as a plain job)."""
    folders = [p.name for p in (sweep_dir / ".submitit").iterdir() if p.is_dir()]
    return {int(name.rsplit("_", 1)[1]) if "_" in name else 0: name for name in folders}


def sacct_records(job_id: str, fields: str = "State", steps: bool = False) -> list[dict[str, str]]:
    """The job's accounting records, oldest first (-D: a requeued job has one per start); -X unless `steps`."""
    names = fields.split(",")
    command = ["sacct", "-D", "-n", "-P", "-j", job_id, "-o", fields] + ([] if steps else ["-X"])
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rows = [line.split("|") for line in out.splitlines() if line.strip()]
    return [
        dict(zip(names, (value.split()[0] if value.strip() else "" for value in row), strict=True))
        for row in rows
    ]


def sacct_states(job_id: str) -> list[str]:
    """The State of each of the job's records (allocation only), oldest first."""
    return [row["State"] for row in sacct_records(job_id)]


def wait_for_states(
    job_id: str, last: str = "COMPLETED", timeout_s: float = ACCOUNTING_TIMEOUT_S
) -> list[str]:
    """The job's states once its newest record is final; fails naming the job and the states seen
    if that record is not `last` or does not become final within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    seen: list[list[str]] = []
    while True:
        states = sacct_states(job_id)
        if not seen or seen[-1] != states:
            seen.append(states)
        if states and states[-1] in FINAL_STATES:
            break
        if time.monotonic() > deadline:
            pytest.fail(
                f"job {job_id}: no final accounting record within {timeout_s:.0f} s; sacct states seen: {seen}"
            )
        time.sleep(1.0)
    if states[-1] != last:
        pytest.fail(f"job {job_id} ended {states[-1]}, expected {last}; sacct states seen: {seen}")
    return states
