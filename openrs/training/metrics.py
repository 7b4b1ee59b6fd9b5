"""Writes one JSON line per logged step to the run dir's metrics.jsonl."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

from transformers import TrainerCallback

log = logging.getLogger(__name__)

METRICS_FILE = "metrics.jsonl"


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

    On resume, lines past the checkpoint's step are dropped so that no step is logged twice.
    """

    def __init__(self, run_dir: str | Path, resume_step: int = 0):
        self.path = Path(run_dir) / METRICS_FILE
        if self.path.exists():
            kept = [row for row in read_metrics(self.path) if row.get("step", 0) <= resume_step]
            self.path.write_text("".join(json.dumps(row) + "\n" for row in kept))

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs or "loss" not in logs:
            return
        from openrs.rewards.stats import pop_reward_metrics

        row = {"step": state.global_step, "epoch": state.epoch}
        row.update({k: _finite(v) for k, v in logs.items()})
        row.update(pop_reward_metrics())
        with self.path.open("a") as fh:
            fh.write(json.dumps(row) + "\n")


def _finite(value):
    """JSON has no NaN: store non-finite floats as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
