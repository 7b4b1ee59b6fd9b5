"""One run over the nodes of a SLURM job: a launcher per node, accelerate's multi-machine launch.

submitit runs the sweep point's Hydra job once on every node of its job (`hydra.launcher.nodes` =
`hardware.num_nodes`, one task per node, through `srun`). Each of those launchers takes its place from
SLURM (SLURM_NODEID; the main process address is the first host of SLURM_JOB_NODELIST, expanded by
`scontrol show hostnames`) and runs `accelerate launch --machine_rank ... --main_process_ip ...` with
the same accelerate/DeepSpeed files; torchrun's static rendezvous joins the nodes' processes into one
world, and DeepSpeed (when configured) spans it. Every node computes the same ports from the job id, so
that nothing has to be exchanged before that rendezvous. The first node starts the vLLM server, on one
of its GPUs or (`hardware.vllm_server_node=own`) on the job's last node, which then trains nothing.
This module holds each node's part (its place, ports, command, the server); `runner.launch_on_node`
puts them together, and `layout.plan_nodes` plans the nodes.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from openrs.config.schema import TrainConfig
from openrs.launch.files import training_command
from openrs.launch.layout import NodePlan
from openrs.launch.server import VLLM_LOG_FILE, LaunchError, health_url, managed_server, vllm_serve_command

# Ports derived from the job id: below Linux's ephemeral range (32768+), three per job.
PORT_BASE, PORT_SLOTS = 20000, 4000
MAIN_PORT, SERVER_PORT, GROUP_PORT = range(3)
SLURM_VARS = ("SLURM_JOB_ID", "SLURM_NODEID", "SLURM_JOB_NODELIST")


@dataclass(frozen=True)
class SlurmNodes:
    """This launcher's place in its SLURM job."""

    job_id: str
    node_rank: int  # SLURM_NODEID
    hostnames: tuple[str, ...]  # the job's nodes, in SLURM's order

    @property
    def main_host(self) -> str:
        """Where the main process (and torchrun's rendezvous store) runs: the first node."""
        return self.hostnames[0]


def slurm_nodes(num_nodes: int, env: Mapping[str, str] | None = None) -> SlurmNodes:
    """Read this node's place from SLURM's variables; fails if not in a job of `num_nodes` nodes."""
    env = os.environ if env is None else env
    missing = [name for name in SLURM_VARS if not env.get(name)]
    if missing:
        raise LaunchError(
            f"hardware.num_nodes={num_nodes} needs a SLURM job ({', '.join(missing)} unset): submit with "
            "`python -m openrs.train -m hydra/launcher=openrs_slurm ...`"
        )
    listed = subprocess.run(
        ["scontrol", "show", "hostnames", env["SLURM_JOB_NODELIST"]], capture_output=True, text=True
    )
    hostnames = tuple(listed.stdout.split())
    if listed.returncode != 0 or len(hostnames) != num_nodes:
        raise LaunchError(
            f"SLURM job {env['SLURM_JOB_ID']} has nodes {hostnames or env['SLURM_JOB_NODELIST']!r}, "
            f"hardware.num_nodes={num_nodes} (hydra.launcher.nodes follows it) {listed.stderr.strip()}"
        )
    return SlurmNodes(env["SLURM_JOB_ID"], int(env["SLURM_NODEID"]), hostnames)


def job_port(job_id: str, which: int) -> int:
    """A port every node of job `job_id` computes alike (`which`: MAIN_PORT, SERVER_PORT, GROUP_PORT)."""
    return PORT_BASE + (int(job_id) % PORT_SLOTS) * 3 + which


def node_config(cfg: TrainConfig, plan: NodePlan, nodes: SlurmNodes) -> TrainConfig:
    """`cfg` with the job's rendezvous port and the vLLM server's address (host of its node), the same
    on every node; ports set to 0 (pick one) become the job's ports."""
    hw = cfg.hardware
    changes: dict = {"main_process_port": hw.main_process_port or job_port(nodes.job_id, MAIN_PORT)}
    extra = cfg.trainer.extra
    if plan.server_node is not None:
        changes["vllm_server_host"] = nodes.hostnames[plan.server_node]
        changes["vllm_server_port"] = hw.vllm_server_port or job_port(nodes.job_id, SERVER_PORT)
        if hw.vllm_server_port == 0:  # as on one node: the weight-sync group's port too, unless set
            extra = {"vllm_group_port": job_port(nodes.job_id, GROUP_PORT), **extra}
    trainer = dataclasses.replace(cfg.trainer, extra=extra)
    return dataclasses.replace(cfg, hardware=dataclasses.replace(hw, **changes), trainer=trainer)


def node_command(launch_dir: Path, run_dir: Path, nodes: SlurmNodes, port: int) -> list[str]:
    """`accelerate launch` of this node's training processes, placed by SLURM in the multi-machine world."""
    command = training_command(launch_dir, run_dir)
    at = command.index("--config_file")  # accelerate's own options go before the script's
    command[at:at] = [
        "--machine_rank", str(nodes.node_rank),
        "--main_process_ip", nodes.main_host,
        "--main_process_port", str(port),
    ]  # fmt: skip
    return command


def server_command(cfg: TrainConfig, plan: NodePlan, model_path: str) -> list[str]:
    """`trl vllm-serve` listening on every interface; on a node of its own, started there by `srun`
    (a step overlapping the job's own) with one engine per GPU."""
    bind = dataclasses.replace(cfg, hardware=dataclasses.replace(cfg.hardware, vllm_server_host="0.0.0.0"))
    command = vllm_serve_command(bind, model_path)
    if plan.server_node == 0:
        return command
    hw = cfg.hardware
    srun = ["srun", "--overlap", "--nodes=1", "--ntasks=1", f"--nodelist={hw.vllm_server_host}"]
    if hw.num_gpus:
        srun.append(f"--gres=gpu:{hw.num_gpus}")
    return [*srun, *command, "--data_parallel_size", str(hw.num_gpus or 1)]


def start_server(cfg: TrainConfig, plan: NodePlan, gpu: str | None, model_path: str, launch_dir: Path):
    """The vLLM server of a multi-node run, health-checked from the first node, stopped on exit."""
    env = dict(os.environ)
    if plan.server_node == 0:
        env["CUDA_VISIBLE_DEVICES"] = str(gpu)
    else:  # srun hands the server node's GPUs to the step
        env.pop("CUDA_VISIBLE_DEVICES", None)
    command = server_command(cfg, plan, model_path)
    return managed_server(
        command, health_url(cfg), launch_dir / VLLM_LOG_FILE, cfg.hardware.vllm_server_timeout_s, env
    )
