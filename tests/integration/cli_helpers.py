"""Running an openrs command as a user does: a subprocess with stdin closed, its output captured, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_command(
    module: str, *args: str, cwd: Path = REPO, timeout: int = 600, **env: str
) -> subprocess.CompletedProcess:
    """`python -m <module> args` (or the console script at the path `module`) from `cwd`.

    `env` entries override the environment: HF_HUB_OFFLINE=1 unless given; HYDRA_FULL_ERROR never set.
    """
    command = [module] if os.sep in module else [sys.executable, "-m", module]
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", **env}
    environment.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run(
        [*command, *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=environment,
    )  # fmt: skip


# Lines a normal run must not print (issue 22): each was fixed at its cause or filtered as harmless.
ALARMING_NOISE = (
    "Setting accelerator to CPU",  # DeepSpeed guessing its accelerator: openrs.cpu_platform names it
    "There were missing keys in the checkpoint",  # a tied head on resume: openrs.models.tied_weights
    "find_unused_parameters=True",  # DDP's needless search: openrs.training.grpo_args
    "all_gather_into_tensor` is deprecated",  # torch's notice for DeepSpeed's call: openrs.training.trainer
)
