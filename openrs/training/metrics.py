"""Writes one JSON line per logged step to the run dir's metrics.jsonl."""

from __future__ import annotations

import logging
import math
from pathlib import Path

from transformers import TrainerCallback

from openrs.run_dir import RunDir, append_metrics, trim_metrics

log = logging.getLogger(__name__)


class MetricsJsonlCallback(TrainerCallback):
    """Appends TRL's logged training metrics (plus reward timing) to metrics.jsonl on the main process.

    When training starts, lines past `resume_step` (the checkpoint it resumes from, 0 for a fresh
    start) are dropped: a run killed after logging step N but before saving checkpoint N logs step N
    again when it resumes, and each step must be in the file once.
    """

    def __init__(self, run_dir: str | Path, resume_step: int = 0):
        self.path = RunDir(run_dir).metrics
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
        append_metrics(self.path, row)
        self.last_step = state.global_step


def _finite(value):
    """JSON has no NaN: store non-finite floats as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
