"""A server process openrs starts, health-checks and stops: `trl vllm-serve` on its own GPU, or its CPU counterpart."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from openrs.config.schema import TrainConfig
from openrs.cpu_platform import VLLM_CPU_ENGINE_ARGS
from openrs.errors import OpenRSError
from openrs.launch.vllm_reload_worker import EXTENSION

log = logging.getLogger(__name__)

VLLM_LOG_FILE = "vllm_server.log"
STOP_GRACE_S = 30.0
PROGRESS_EVERY_S = 10.0  # how often the wait for a server logs its progress
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class LaunchError(OpenRSError):
    """A process openrs started did not come up or did not finish cleanly."""


def vllm_serve_command(cfg: TrainConfig, model_path: str) -> list[str]:
    """`trl vllm-serve` for the policy, with the host, port, memory share and lengths of the config.

    The context is training's prompt + completion; with validation during training it is the model's own
    (vLLM's default), since benchmark prompts can be longer than training's and validation caps its
    completions to what fits (openrs.training.validation_vllm).
    """
    hw = cfg.hardware
    command = [
        str(Path(sys.executable).with_name("trl")), "vllm-serve",
        "--model", model_path,
        "--host", hw.vllm_server_host,
        "--port", str(hw.vllm_server_port),
        "--gpu_memory_utilization", str(hw.vllm_gpu_memory_utilization),
        "--dtype", cfg.model.dtype,
    ]  # fmt: skip
    if not cfg.validation.every:
        command += ["--max_model_len", str(cfg.dataset.max_prompt_length + cfg.trainer.max_completion_length)]
    if cfg.model.tiny is None and not cfg.model.init_checkpoint:
        command += ["--revision", cfg.model.revision]
    return command


# On CPU the server is the one `trl vllm-serve` starts, with the GPU-only parts swapped (vllm_cpu_serve_command).
VLLM_CPU_SERVER_ENV = {
    "VLLM_SERVER_DEV_MODE": "1"
}  # the dev endpoints TRL's client calls (`trl vllm-serve` sets it)
GPU_ONLY_SERVER_FLAGS = ("--weight-transfer-config",)  # NCCL weight transfer: vLLM's CPU build has none


def trl_vllm_serve_argv(cfg: TrainConfig, model_path: str) -> list[str]:
    """The `vllm serve` command line `trl vllm-serve` runs for `vllm_serve_command(cfg, model_path)` (TRL's own
    translation, with TRL's settings: logprobs mode, logprob cap, NCCL weight transfer)."""
    from trl.scripts.vllm_serve import build_command, make_parser

    args, _ = make_parser().parse_args_and_config(
        args=vllm_serve_command(cfg, model_path)[2:], return_remaining_strings=True
    )
    return build_command(args)


def vllm_cpu_serve_command(cfg: TrainConfig, model_path: str) -> list[str]:
    """`trl vllm-serve`'s server for the same config, on vLLM's CPU build. Three changes, all GPU-only parts:

    - vLLM's API server module instead of `vllm serve` (the CLI looks up the `vllm` distribution, which
      `vllm-cpu` is not);
    - no NCCL weight-transfer engine; instead openrs's worker extension, whose reload method takes the
      policy from a file (openrs.launch.vllm_reload_worker, openrs.training.vllm_server_sync);
    - chunked prefill off where vLLM's CPU backend needs it (openrs.cpu_platform).
    """
    argv = trl_vllm_serve_argv(cfg, model_path)
    serve = argv.index("serve")  # [python, -m, vllm.entrypoints.cli.main, serve, MODEL, ...]
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", argv[serve + 1]]
    rest = argv[serve + 2 :]
    while rest:
        flag, rest = rest[0], rest[1:]
        if flag in GPU_ONLY_SERVER_FLAGS:
            rest = rest[1:]  # and its value
        else:
            command.append(flag)
    command += ["--worker-extension-cls", EXTENSION]
    if not VLLM_CPU_ENGINE_ARGS["enable_chunked_prefill"]:
        command.append("--no-enable-chunked-prefill")
    return command


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def with_free_ports(cfg: TrainConfig) -> TrainConfig:
    """`cfg` with `hardware.vllm_server_port=0` replaced by free ports for the server and TRL's weight-sync
    group (`vllm_group_port`, unless trainer.extra sets it), so that jobs sharing a node do not collide."""
    if cfg.hardware.vllm_server_port != 0:
        return cfg
    host = cfg.hardware.vllm_server_host
    hardware = dataclasses.replace(cfg.hardware, vllm_server_port=free_port(host))
    extra = {"vllm_group_port": free_port(host), **cfg.trainer.extra}
    return dataclasses.replace(cfg, hardware=hardware, trainer=dataclasses.replace(cfg.trainer, extra=extra))


def health_url(cfg: TrainConfig) -> str:
    """The vLLM server's health endpoint (the one TRL's VLLMClient polls)."""
    return f"http://{cfg.hardware.vllm_server_host}:{cfg.hardware.vllm_server_port}/health"


def is_healthy(url: str, timeout_s: float = 2.0) -> bool:
    """Whether `url` answers HTTP 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def managed_server(
    command: list[str], url: str, log_path: Path, timeout_s: float, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """Start `command`, wait until `url` answers 200, yield the process, and stop it on exit."""
    if is_healthy(url):
        raise LaunchError(
            f"something already answers at {url}; stop it or choose another hardware.vllm_server_port"
        )
    log_path.parent.mkdir(parents=True, exist_ok=True)
    shown = " ".join(command[:3])
    if sys.platform == "linux":  # a guard escalates to SIGKILL if the server hangs in its shutdown
        command = [sys.executable, "-m", "openrs.launch.guard", *command]
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=stop_when_parent_dies(),
        )
    log.info("started %s (pid %d), log: %s", shown, proc.pid, log_path)
    try:
        wait_healthy(proc, url, log_path, timeout_s)
        yield proc
    finally:
        stop_process_group(proc)


def wait_healthy(proc: subprocess.Popen, url: str, log_path: Path, timeout_s: float) -> None:
    """Poll `url` until it answers; fail if the process exits first or `timeout_s` passes."""
    began = time.monotonic()
    deadline, next_report = began + timeout_s, began + PROGRESS_EVERY_S
    while not is_healthy(url):
        if proc.poll() is not None:
            raise LaunchError(
                f"the server exited with code {proc.returncode} before answering {url}: {_tail(log_path)}"
            )
        now = time.monotonic()
        if now > deadline:
            raise LaunchError(f"the server did not answer {url} within {timeout_s:.0f} s; see {log_path}")
        if now >= next_report:  # a model load takes minutes: say that it is still coming, and where
            log.info(
                "waiting for %s: %.0f s of %.0f s; last log line: %s",
                url,
                now - began,
                timeout_s,
                _tail(log_path, 1),
            )
            next_report = now + PROGRESS_EVERY_S
        time.sleep(1.0)
    log.info("server up at %s after %.0f s", url, time.monotonic() - began)


def stop_when_parent_dies():
    """A `preexec_fn` that has the child SIGTERMed when openrs dies, even by kill -9 (Linux; else None).

    Launched processes run in their own session (so that openrs can stop the whole group), which also
    shields them from the signals that end openrs's own group: without this, a kill -9 of openrs alone
    would leave accelerate's processes or the vLLM server running.
    """
    return _term_on_parent_death if sys.platform == "linux" else None


def _term_on_parent_death() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_process_group(proc: subprocess.Popen, grace_s: float = STOP_GRACE_S) -> int | None:
    """SIGTERM the process's session (it was started with its own), then SIGKILL after `grace_s`."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
    # Children left behind by a process that already exited (e.g. vLLM's engine core) go too.
    _signal_group(proc, signal.SIGKILL)
    return proc.returncode


def _signal_group(proc: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)  # start_new_session=True made its pid the group id


def _tail(path: Path, lines: int = 3) -> str:
    """The last lines of a log, on one line."""
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"
