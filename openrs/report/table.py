"""One row per run: the overrides that differ, rewards, completion length, steps, time and cost."""

from __future__ import annotations

import pandas as pd

from openrs.report.cost import gpu_hours
from openrs.report.runs import RunRecord

REWARD = "reward"  # TRL's weighted total reward, logged per step
ACCURACY = "rewards/accuracy_reward/mean"
COMPLETION_LENGTH = "completions/mean_length"
VALIDATION_TIME = "val/time_s"  # seconds per validation call (openrs.training.validation)
# The curves of the report, with their axis labels.
CURVES = {REWARD: "total reward", ACCURACY: "accuracy reward", COMPLETION_LENGTH: "mean completion length"}


def differing_overrides(runs: list[RunRecord]) -> list[str]:
    """Override keys whose value is not the same in every run (a missing key counts as a value)."""
    keys = sorted({key for run in runs for key in run.overrides})
    return [key for key in keys if len({run.overrides.get(key) for run in runs}) > 1]


def common_overrides(runs: list[RunRecord]) -> list[str]:
    """Overrides every run shares, as `key=value`."""
    keys = set.intersection(*(set(run.overrides) for run in runs)) if runs else set()
    return [f"{k}={runs[0].overrides[k]}" for k in sorted(keys) if k not in differing_overrides(runs)]


def run_label(run: RunRecord, keys: list[str]) -> str:
    """A sweep point's legend label: its differing overrides, or its name when none differ."""
    parts = [f"{key}={run.overrides[key]}" for key in keys if key in run.overrides]
    return ", ".join(parts) or run.name


def summarize_runs(runs: list[RunRecord], price_per_gpu_hour: float) -> pd.DataFrame:
    """The sweep table: one row per run, numbers unformatted (GPU-hours and cost None when unknown)."""
    keys = differing_overrides(runs)
    rows = []
    for run in runs:
        row = {"run": run.name, **{key: run.overrides.get(key) for key in keys}}
        row["status"] = "finished" if run.finished else ("no steps" if run.metrics.empty else "unfinished")
        row["steps"] = _steps(run)
        for key, prefix in ((REWARD, "reward"), (ACCURACY, "accuracy")):
            row[f"final_{prefix}"], row[f"best_{prefix}"] = _final_and_best(run.metrics, key)
        row["final_completion_length"] = _final_and_best(run.metrics, COMPLETION_LENGTH)[0]
        row["wall_time_s"] = _wall_time_s(run)
        row["validation_s"] = (
            run.metrics[VALIDATION_TIME].sum(min_count=1) if VALIDATION_TIME in run.metrics else None
        )
        row["num_gpus"] = run.num_gpus
        row["gpu_hours"] = gpu_hours(run.num_gpus, row["wall_time_s"])
        row["cost_usd"] = None if row["gpu_hours"] is None else row["gpu_hours"] * price_per_gpu_hour
        rows.append(row)
    return pd.DataFrame(rows)


def _final_and_best(metrics: pd.DataFrame, key: str) -> tuple[float | None, float | None]:
    """The metric at the last step that logged it, and its highest value."""
    if key not in metrics:
        return None, None
    values = metrics[key].dropna()
    return (float(values.iloc[-1]), float(values.max())) if len(values) else (None, None)


def _steps(run: RunRecord) -> int | None:
    """Optimizer steps done: the summary's global_step, else the last logged step."""
    if run.summary and run.summary.get("global_step") is not None:
        return int(run.summary["global_step"])
    return int(run.metrics.index.max()) if not run.metrics.empty else None


def _wall_time_s(run: RunRecord) -> float | None:
    """The run's wall time from its summary; for an unfinished run, the sum of its step times.

    A resumed run's summary times only its last attempt; the step times cover every attempt.
    """
    step_time = float(run.metrics["step_time"].sum()) if "step_time" in run.metrics else None
    if run.summary and run.summary.get("wall_time_s") is not None:
        wall_time = float(run.summary["wall_time_s"])
        return max(wall_time, step_time or 0.0) if run.summary.get("resumed_from") else wall_time
    return step_time
