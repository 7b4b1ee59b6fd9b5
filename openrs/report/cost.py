"""GPU-hours and dollar cost of runs, beside the training costs the Open RS paper reports."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class PaperCost:
    """One row of the paper's cost comparison."""

    model: str
    cost_usd: float
    hardware: str | None = None
    gpu_hours: float | None = None
    wall_time_s: float | None = None


# Open RS (arXiv 2503.16219), cost table: only Open-RS's hardware and time are stated in our sources.
PAPER_COSTS = (
    PaperCost("Open-RS", 42.0, "4×A40", 4 * 24.0, 24 * 3600.0),
    PaperCost("DeepScaleR-1.5B-Preview", 3629.0),
    PaperCost("Still-3-1.5B-Preview", 2268.0),
    PaperCost("Qwen2.5-7B-SimpleRL", 1633.0),
    PaperCost("Eurus-2-7B-PRIME", 1088.0),
)
# The paper's own rate: $42 for 4 A40s over 24 hours, $0.4375 (≈ $0.44) per GPU-hour.
DEFAULT_PRICE_PER_GPU_HOUR = PAPER_COSTS[0].cost_usd / PAPER_COSTS[0].gpu_hours


def price_per_gpu_hour(text: str) -> float:
    """A `--price-per-gpu-hour` value: a finite number of dollars >= 0, else argparse's one-line error."""
    import argparse
    import math

    try:
        price = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of dollars") from None
    if not math.isfinite(price) or price < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of dollars >= 0, got {text}")
    return price


def gpu_hours(num_gpus: int | None, wall_time_s: float | None) -> float | None:
    """GPUs held × wall time in hours (0 on CPU); None when either is unknown."""
    if num_gpus is None or wall_time_s is None or pd.isna(wall_time_s):
        return None
    return num_gpus * wall_time_s / 3600.0


def cost_comparison(runs: pd.DataFrame, measured_label: str) -> pd.DataFrame:
    """The paper's cost table with the measured runs' total GPU-hours, cost and validation time as the last row."""
    rows = [
        {"model": c.model, "hardware": c.hardware, "wall_time_s": c.wall_time_s, "validation_s": None,
         "gpu_hours": c.gpu_hours, "cost_usd": c.cost_usd}
        for c in PAPER_COSTS
    ]  # fmt: skip
    known = runs["cost_usd"].notna()
    measured_cost = runs.loc[known, "cost_usd"].sum() if known.any() else None
    rows.append(
        {
            "model": measured_label,
            "hardware": _hardware_label(runs),
            "wall_time_s": runs["wall_time_s"].sum(min_count=1),
            # Part of the wall time: the runs' validation calls (val/time_s summed).
            "validation_s": runs["validation_s"].sum(min_count=1) if "validation_s" in runs else None,
            "gpu_hours": runs.loc[known, "gpu_hours"].sum() if known.any() else None,
            "cost_usd": measured_cost,
        }
    )
    table = pd.DataFrame(rows)
    table["vs_open_rs"] = table["cost_usd"] / PAPER_COSTS[0].cost_usd
    return table


def _hardware_label(runs: pd.DataFrame) -> str:
    """The measured runs' hardware, e.g. '2 runs: 4 GPU' or '3 runs: CPU'."""
    gpus = sorted({int(n) for n in runs["num_gpus"].dropna()})
    kinds = ", ".join("CPU" if n == 0 else f"{n} GPU" for n in gpus) or "unknown"
    plural = "s" if len(runs) != 1 else ""
    return f"{len(runs)} run{plural}: {kinds}"
