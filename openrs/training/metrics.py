"""Writes one JSON line per logged step to the run dir's metrics.jsonl."""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path

from transformers import TrainerCallback

from openrs.training.metrics_file import METRICS_FILE

log = logging.getLogger(__name__)


def read_metrics(path: str | Path) -> list[dict]:
    """The lines of a metrics.jsonl, skipping a half-written last line."""
    rows = []
    path = Path(path)
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            log.warning("skipping a malformed line in %s", path)
    return rows


class MetricsJsonlCallback(TrainerCallback):
    """Appends TRL's logged training metrics (plus reward timing) to metrics.jsonl on the main process.

    When training starts, lines past `resume_step` (the checkpoint it resumes from, 0 for a fresh
    start) are dropped: a run killed after logging step N but before saving checkpoint N logs step N
    again when it resumes, and each step must be in the file once.
    """

    def __init__(self, run_dir: str | Path, resume_step: int = 0):
        self.path = Path(run_dir) / METRICS_FILE
        self.resume_step = resume_step
        self.last_step = resume_step

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            trim_metrics(self.path, self.resume_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs or "loss" not in logs:
            return
        if state.global_step <= self.last_step:
            log.warning("step %d is already in %s; not logging it twice", state.global_step, self.path)
            return
        from openrs.rewards.stats import pop_reward_metrics

        row = {"step": state.global_step, "epoch": state.epoch}
        row.update({k: _finite(v) for k, v in logs.items()})
        row.update(pop_reward_metrics())
        with self.path.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        self.last_step = state.global_step


def trim_metrics(path: str | Path, last_step: int) -> int:
    """Keep only the rows of `path` up to `last_step` (and no half-written line); returns how many."""
    path = Path(path)
    if not path.exists():
        return 0
    kept = [row for row in read_metrics(path) if row.get("step", 0) <= last_step]
    tmp = path.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(json.dumps(row) + "\n" for row in kept))
    os.replace(tmp, path)  # atomic: a kill during the rewrite leaves the old file, not half of it
    return len(kept)


def _finite(value):
    """JSON has no NaN: store non-finite floats as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
