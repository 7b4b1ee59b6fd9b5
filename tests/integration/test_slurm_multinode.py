"""A real 2-node SLURM job: the tiny experiment as one run over both nodes, preempted, requeued, resumed.

Needs a cluster with 2 idle nodes: `sudo bash launchers/setup_local_slurm.sh` poses this machine as
openrs-n1 and openrs-n2. `hardware=slurm_multinode_cpu`: one training process per node over gloo, under
DeepSpeed ZeRO-2 across the nodes (its CPU accelerator; DDP where DeepSpeed is not installed): submitit
starts openrs's launcher on each node, each runs `accelerate launch --machine_rank <SLURM_NODEID>
--main_process_ip openrs-n1`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import uuid
from importlib.util import find_spec
from pathlib import Path

import pytest

from openrs.run_dir import last_checkpoint, read_metrics
from tests.integration.slurm_helpers import (
    REPO,
    idle_nodes,
    sacct_records,
    sweep_preempted_once,
    wait_for_states,
)

STEPS = 4
DEEPSPEED = find_spec("deepspeed") is not None

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.slow,
    pytest.mark.skipif(
        idle_nodes() < 2,
        reason="needs a SLURM cluster with 2 idle nodes; start one with: sudo bash launchers/setup_local_slurm.sh",
    ),
]


@pytest.fixture(scope="module")
def two_node_run():
    """One 2-node job, preempted (SIGUSR2, as SLURM signals before the time limit) after checkpoint-2."""
    sweep_dir = REPO / "multirun" / "test_slurm_multinode" / uuid.uuid4().hex[:8]
    # LOGLEVEL=INFO: torchrun's agents log the world they joined.
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline", OMP_NUM_THREADS="1", LOGLEVEL="INFO")
    command = [
        sys.executable, "-m", "openrs.train", "-m", "+experiment=tiny", "hydra/launcher=openrs_slurm",
        "hardware=slurm_multinode_cpu", f"hardware.deepspeed={'zero2' if DEEPSPEED else 'null'}",
        f"trainer.max_steps={STEPS}", "trainer.save_steps=2",
        "hydra.launcher.cpus_per_task=1", "hydra.launcher.timeout_min=30", f"hydra.sweep.dir={sweep_dir}",
    ]  # fmt: skip
    run = sweep_preempted_once(command, env, sweep_dir, point=0)
    yield {**run, "logs": sorted((sweep_dir / ".submitit" / run["job"]).glob("*_log.*"))}
    if run["returncode"] == 0:  # a failed run's folder stays, with submitit's logs in .submitit/
        shutil.rmtree(sweep_dir, ignore_errors=True)


def test_both_nodes_train_one_run(two_node_run):
    assert two_node_run["returncode"] == 0, two_node_run["output"][-3000:]
    run_dir, job = two_node_run["run_dir"], two_node_run["job"]
    # torchrun's rendezvous, as each node's agent logged it: one world of 2, a process on each node.
    logs = "\n".join(path.read_text(errors="replace") for path in two_node_run["logs"])
    joined = re.findall(
        r"group_rank=(\d+)\n.*?global_ranks=\[(\d+)\]\n.*?global_world_sizes=\[(\d+)\]", logs, re.S
    )
    assert {(node, rank) for node, rank, _ in joined} == {("0", "0"), ("1", "1")}, logs[-3000:]
    assert {size for *_, size in joined} == {"2"}
    train_log = (run_dir / "train.log").read_text()
    assert "node 0 of 2 (openrs-n1)" in train_log and "node 1 of 2 (openrs-n2)" in train_log
    # One run: its metrics written once (by the main process), its checkpoints in its one run dir.
    assert [row["step"] for row in read_metrics(run_dir / "metrics.jsonl")] == list(range(1, STEPS + 1))
    assert last_checkpoint(run_dir).name == f"checkpoint-{STEPS}"
    saved = {p.relative_to(run_dir.parent).parent for p in run_dir.parent.rglob("checkpoint-*") if p.is_dir()}
    assert saved == {Path("0/checkpoints")}
    # DDP over both nodes: each step's batch is 8 completions per process x 2 processes.
    state = json.loads((last_checkpoint(run_dir) / "trainer_state.json").read_text())
    assert state["global_step"] == STEPS and state["train_batch_size"] == 8
    if DEEPSPEED:  # ZeRO-2 over both nodes: the optimizer state is split between the two ranks
        shards = sorted(p.name for p in last_checkpoint(run_dir).glob("global_step*/zero_pp_rank_*"))
        assert [name.split("_")[3] for name in shards] == ["0", "1"], shards
    assert "batch 8 x 2 x 1 = 16 completions per step" in train_log
    # sacct: the job ran on both nodes and completed there (its last start and that start's srun step).
    wait_for_states(job, "COMPLETED")
    records = sacct_records(job, "JobID,State,NNodes,NodeList", steps=True)
    last_start = records[max(i for i, row in enumerate(records) if row["JobID"] == job) :]
    assert last_start[0] == {"JobID": job, "State": "COMPLETED", "NNodes": "2", "NodeList": "openrs-n[1-2]"}
    step = next(row for row in last_start if row["JobID"] == f"{job}.0")  # submitit's srun: a task per node
    assert (step["State"], step["NNodes"]) == ("COMPLETED", "2"), records


def test_preempted_two_node_job_is_requeued_and_resumes(two_node_run):
    run_dir, job = two_node_run["run_dir"], two_node_run["job"]
    states = wait_for_states(job, "COMPLETED")
    assert states[0] == "REQUEUED", f"job {job}: {states}"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["resumed_from"] is not None and summary["global_step"] == STEPS
    # Each step once: steps logged before the signal and not checkpointed were dropped and redone.
    assert two_node_run["preempted_after"] < STEPS
    assert [row["step"] for row in read_metrics(run_dir / "metrics.jsonl")] == list(range(1, STEPS + 1))
