"""Starts a run's processes: `accelerate launch` of the training processes, plus `trl vllm-serve`, on one
node or on each node of a SLURM job."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from openrs.config.schema import TrainConfig
from openrs.launch.files import training_command, write_launch_files
from openrs.launch.layout import ProcessLayout, batch_sizes, plan_layout, plan_nodes
from openrs.launch.multinode import node_command, node_config, slurm_nodes, start_server
from openrs.launch.server import (
    VLLM_CPU_SERVER_ENV,
    VLLM_LOG_FILE,
    LaunchError,
    health_url,
    managed_server,
    stop_process_group,
    stop_when_parent_dies,
    vllm_cpu_serve_command,
    vllm_serve_command,
    with_free_ports,
)
from openrs.run_dir import RunDir
from openrs.training.summary import read_summary

log = logging.getLogger(__name__)

# Set in the environment of the processes openrs launches: they train rather than launch again.
CHILD_ENV = "OPENRS_LAUNCHED"


def is_launched_child() -> bool:
    """Whether this process was started by `launch` (so it trains instead of launching)."""
    return os.environ.get(CHILD_ENV) == "1"


def needs_launcher(cfg: TrainConfig) -> bool:
    """Whether the hardware layout needs processes beyond this one (and this is not one of them)."""
    return not is_launched_child() and plan_layout(cfg.hardware).needs_launcher


def launch(cfg: TrainConfig, run_dir: str | Path, model_path: str) -> dict:
    """Start the layout's processes, each running the recipe on `model_path`; returns their train metrics.

    The caller has built the data (its errors come before any process starts) and the policy, so that
    the processes do not race to build a tiny model and a vLLM server can serve it.
    """
    run_dir = Path(run_dir).resolve()
    if cfg.hardware.num_nodes > 1:  # this is one of the run's launchers, one per node of its SLURM job
        return launch_on_node(cfg, run_dir, model_path)
    layout = plan_layout(cfg.hardware)
    if layout.vllm_server:
        cfg = with_free_ports(cfg)  # the processes get the chosen ports through their saved config
    sizes = batch_sizes(cfg.trainer, cfg.hardware)
    launch_dir = write_launch_files(cfg, layout, sizes, run_dir)
    log.info(
        "launching %d training process(es)%s%s; batch %d x %d x %d = %d completions per step (%d prompts)",
        layout.num_processes,
        f" on GPU(s) {','.join(layout.training_gpus)}" if layout.training_gpus else " on CPU",
        f", vLLM server on {_server_device(layout)}" if layout.vllm_server else "",
        sizes.per_device, sizes.processes, sizes.grad_accum, sizes.train_batch_size,
        sizes.train_batch_size // sizes.num_generations,
    )  # fmt: skip
    with ExitStack() as stack:
        stack.enter_context(_terminate_on_sigterm())
        if layout.vllm_server:
            stack.enter_context(start_vllm_server(cfg, layout, model_path, launch_dir))
        returncode = run_to_completion(training_command(launch_dir, run_dir), child_env(layout))
    if returncode != 0:
        raise LaunchError(f"training processes exited with code {returncode}; see {RunDir(run_dir).log}")
    return (read_summary(run_dir) or {}).get("train_metrics", {})


def launch_on_node(cfg: TrainConfig, run_dir: Path, model_path: str) -> dict:
    """This node's part of a multi-node run; returns the run's training metrics on the first node."""
    plan = plan_nodes(cfg.hardware)
    nodes = slurm_nodes(plan.num_nodes)
    cfg = node_config(cfg, plan, nodes)
    rank = nodes.node_rank
    if rank >= plan.training_nodes:
        log.info(
            "node %d (%s) is the vLLM server's; the first node starts it there", rank, nodes.hostnames[rank]
        )
        return {}
    layout = plan_layout(cfg.hardware)
    sizes = batch_sizes(cfg.trainer, cfg.hardware)
    # Each node writes its own copy: one node rewriting a file another is reading would be a race.
    launch_dir = RunDir(run_dir).launch if rank == 0 else RunDir(run_dir).launch / f"node{rank}"
    launch_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if rank == 0 and plan.server_node is not None:
            stack.enter_context(start_server(cfg, plan, layout.vllm_gpu, model_path, launch_dir))
        launch_dir = write_launch_files(cfg, layout, sizes, run_dir, launch_dir)
        log.info(
            "node %d of %d (%s): %d training process(es) of %d, rendezvous at %s:%d; batch %d x %d x %d = %d "
            "completions per step (%d prompts)%s",
            rank, plan.num_nodes, nodes.hostnames[rank], layout.num_processes, sizes.processes,
            nodes.main_host, cfg.hardware.main_process_port, sizes.per_device, sizes.processes,
            sizes.grad_accum, sizes.train_batch_size, sizes.train_batch_size // sizes.num_generations,
            f"; vLLM server at {cfg.hardware.vllm_server_host}:{cfg.hardware.vllm_server_port}"
            if plan.server_node is not None else "",
        )  # fmt: skip
        command = node_command(launch_dir, run_dir, nodes, cfg.hardware.main_process_port)
        returncode = run_to_completion(command, child_env(layout))
    if returncode != 0:
        raise LaunchError(f"node {rank}: training processes exited with code {returncode}; see {run_dir}")
    # The run's summary is written by its main process, on the first node.
    return (read_summary(run_dir) or {}).get("train_metrics", {}) if rank == 0 else {}


def child_env(layout: ProcessLayout, base: dict[str, str] | None = None) -> dict[str, str]:
    """The launched processes' environment: marked as children, with this process's CPU threads."""
    from openrs.cpu_threads import applied_thread_env

    env = dict(os.environ if base is None else base) | applied_thread_env()
    env[CHILD_ENV] = "1"
    if not layout.training_gpus:  # CPU: no process should grab a GPU by accident
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def _server_device(layout: ProcessLayout) -> str:
    return "CPU" if layout.vllm_gpu is None else f"GPU {layout.vllm_gpu}"


def start_vllm_server(cfg: TrainConfig, layout: ProcessLayout, model_path: str, launch_dir: Path):
    """`trl vllm-serve` on the layout's vLLM GPU (on CPU: its CPU counterpart), stopped when the context exits."""
    if layout.vllm_gpu is None:  # vLLM's CPU build: the same server without its GPU-only parts
        env = dict(os.environ, CUDA_VISIBLE_DEVICES="", **VLLM_CPU_SERVER_ENV)
        command = vllm_cpu_serve_command(cfg, model_path)
    else:
        env = dict(os.environ, CUDA_VISIBLE_DEVICES=str(layout.vllm_gpu))
        command = vllm_serve_command(cfg, model_path)
    return managed_server(
        command,
        health_url(cfg),
        launch_dir / VLLM_LOG_FILE,
        cfg.hardware.vllm_server_timeout_s,
        env,
    )


def run_to_completion(command: list[str], env: dict[str, str]) -> int:
    """Run `command` in its own session; if this process is interrupted, the whole session is stopped."""
    proc = subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=stop_when_parent_dies())
    try:
        return proc.wait()
    finally:
        stop_process_group(proc)


@contextmanager
def _terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit while launched processes run, so that they are stopped too.

    Only where SIGTERM has its default action: a job scheduler's handler (submitit's) stays in charge.
    """
    take_over = threading.current_thread() is threading.main_thread()
    take_over = take_over and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    if take_over:
        signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        yield
    finally:
        if take_over:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _raise_system_exit(signum, frame):
    raise SystemExit(128 + signum)
