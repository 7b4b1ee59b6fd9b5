"""The run summary: what ran, on what code and packages, with which seed, for how long."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path

from openrs.ranks import is_main_process
from openrs.run_dir import RunDir

TRACKED_PACKAGES = (
    "openrs", "torch", "transformers", "trl", "accelerate", "datasets", "hydra-core",
    "omegaconf", "math-verify", "vllm", "deepspeed", "flash-attn", "wandb", "submitit",
)  # fmt: skip


def git_sha(repo_dir: str | Path = ".") -> str | None:
    """The current commit, with '-dirty' when the work tree has changes; None outside git."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo_dir, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo_dir,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return sha + ("-dirty" if dirty else "")


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages a run depends on (None when absent)."""
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def write_summary(run_dir: str | Path, **fields) -> Path | None:
    """Write summary.json with the given fields plus git sha, versions, host and time (main process only)."""
    if not is_main_process():
        return None
    path = RunDir(run_dir).summary
    summary = {
        "git_sha": git_sha(Path(__file__).parent),
        "packages": package_versions(),
        "python": platform.python_version(),
        "host": platform.node(),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **fields,
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    os.replace(tmp, path)  # a kill while writing leaves no half summary: "finished" means finished
    return path


def best_checkpoint(state) -> dict | None:
    """The validated best step, its metric and checkpoint (transformers' TrainerState); None without validation."""
    if state.best_global_step is None or state.best_metric is None:
        return None
    checkpoint = state.best_model_checkpoint
    return {
        "step": state.best_global_step,
        "metric": state.best_metric,
        "checkpoint": Path(checkpoint).name if checkpoint else None,  # None: step 0, the initial model
    }


def read_summary(run_dir: str | Path) -> dict | None:
    """The run's summary.json, or None when the run has not finished (or the file is half written)."""
    try:
        return json.loads(RunDir(run_dir).summary.read_text())
    except (OSError, ValueError):
        return None
