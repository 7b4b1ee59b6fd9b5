"""The names of everything a run writes under its run dir."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from openrs.errors import OpenRSError

CONFIG_FILE = "config.yaml"  # the resolved config the run trained with
CONFIG_HISTORY_FILE = "config_history.jsonl"  # each start and resume: its step and the keys it changed
METRICS_FILE = "metrics.jsonl"  # one JSON line per logged step
SUMMARY_FILE = "summary.json"  # written when training ends: provenance, wall time, final metrics
DATA_SUMMARY_FILE = "data_summary.json"  # rows per source through each filter
INIT_MODEL_DIR = "init_model"  # a tiny model built (and warmed up) for the run: its step 0
LAUNCH_DIR = "launch"  # what openrs generated to start the run's processes
CHECKPOINTS_DIR = "checkpoints"  # Transformers' output_dir: checkpoints/checkpoint-N
CHECKPOINT_PREFIX = "checkpoint-"  # transformers.trainer_utils.PREFIX_CHECKPOINT_DIR
LOG_FILE = "train.log"  # Hydra's job log, named after the `openrs.train` module
WANDB_ID_FILE = "wandb_run_id"  # a resumed run continues the same wandb run
EARLIER_RUNS_DIR = "earlier_runs"  # what `run.resume=never` moved aside, one folder per restart
LOCK_FILE = ".run.lock"
LOCK_OWNER_FILE = ".run.lock.owner"  # pid and host of the process holding the lock
# Any of these makes a folder a run dir (the report and evaluation look for them).
RUN_MARKERS = (METRICS_FILE, SUMMARY_FILE, CONFIG_FILE)
# A run's own subfolders: never runs themselves.
RUN_SUBDIRS = (CHECKPOINTS_DIR, INIT_MODEL_DIR, LAUNCH_DIR, EARLIER_RUNS_DIR, ".hydra", ".submitit", "wandb")


class RunDirError(OpenRSError):
    """The run dir cannot be used: a file, unwritable, or holding another run's state."""


@dataclass(frozen=True)
class RunDir:
    """Paths inside one run dir."""

    path: Path

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))  # accept a str too

    def __str__(self) -> str:
        return str(self.path)

    def __fspath__(self) -> str:
        return str(self.path)

    config = property(lambda self: self.path / CONFIG_FILE)
    config_history = property(lambda self: self.path / CONFIG_HISTORY_FILE)
    metrics = property(lambda self: self.path / METRICS_FILE)
    summary = property(lambda self: self.path / SUMMARY_FILE)
    data_summary = property(lambda self: self.path / DATA_SUMMARY_FILE)
    init_model = property(lambda self: self.path / INIT_MODEL_DIR)
    launch = property(lambda self: self.path / LAUNCH_DIR)
    checkpoints = property(lambda self: self.path / CHECKPOINTS_DIR)
    log = property(lambda self: self.path / LOG_FILE)
    wandb_id = property(lambda self: self.path / WANDB_ID_FILE)
    earlier_runs = property(lambda self: self.path / EARLIER_RUNS_DIR)
    lock = property(lambda self: self.path / LOCK_FILE)
    lock_owner = property(lambda self: self.path / LOCK_OWNER_FILE)

    def checkpoint(self, step: int) -> Path:
        """The folder Transformers saves step `step` in."""
        return self.checkpoints / f"{CHECKPOINT_PREFIX}{step}"

    def check_usable(self) -> None:
        """Fail in one line when the run dir is a file, cannot be created, or cannot be written."""
        if self.path.exists() and not self.path.is_dir():
            raise RunDirError(f"run dir {self.path} is a file, not a folder; choose another hydra.run.dir")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise RunDirError(f"cannot create run dir {self.path}: {err.strerror}") from err
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise RunDirError(f"run dir {self.path} is not writable; choose another hydra.run.dir")
