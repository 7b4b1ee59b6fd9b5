"""The CPU threads a process uses, chosen by `hardware` rather than inherited from torch's default.

torch starts one OpenMP thread per core. On a machine where other work runs, those threads spin-wait
for each other at every parallel region and a step can take 30x longer than with one thread
(bench/threads_results.md). The settings go into this process's environment too, so that every
process it starts (accelerate's training processes, reward checkers, a vLLM server) gets them.
"""

from __future__ import annotations

import logging
import os

from openrs.config.schema import HardwareConfig
from openrs.errors import ConfigError

log = logging.getLogger(__name__)

# Read by OpenMP (torch's intra-op pool), MKL and OpenBLAS when a process loads them.
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
TOKENIZERS_ENV_VAR = "TOKENIZERS_PARALLELISM"

# What `apply_cpu_threads` set in this process, for the environment of the processes it launches.
_applied_env: dict[str, str] = {}


def thread_env(hw: HardwareConfig) -> dict[str, str]:
    """The environment variables that carry `hw`'s thread settings to a process (None: leave unset)."""
    if hw.torch_threads is not None and hw.torch_threads < 1:
        raise ConfigError(f"hardware.torch_threads={hw.torch_threads} is not allowed: must be >= 1 or null")
    if hw.dataloader_num_workers < 0:
        raise ConfigError(
            f"hardware.dataloader_num_workers={hw.dataloader_num_workers} is not allowed: must be >= 0"
        )
    env = {TOKENIZERS_ENV_VAR: "true" if hw.tokenizers_parallelism else "false"}
    if hw.torch_threads is not None:
        env |= {name: str(hw.torch_threads) for name in THREAD_ENV_VARS}
    return env


def apply_cpu_threads(hw: HardwareConfig) -> int:
    """Set this process's torch threads and environment from `hw`; return torch's intra-op thread count."""
    import torch

    env = thread_env(hw)
    os.environ.update(env)
    _applied_env.clear()
    _applied_env.update(env)
    if hw.torch_threads is not None:
        torch.set_num_threads(hw.torch_threads)
        try:  # allowed once, before any inter-op work; a second run in one process keeps the first
            torch.set_num_interop_threads(hw.torch_threads)
        except RuntimeError:
            log.debug("torch's inter-op threads were already set: %d", torch.get_num_interop_threads())
    return torch.get_num_threads()


def applied_thread_env() -> dict[str, str]:
    """The thread settings `apply_cpu_threads` chose in this process (empty if it has not run)."""
    return dict(_applied_env)
