"""Curves against step, one line per sweep point, drawn without pyplot so no GUI backend is needed."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from openrs.report.runs import RunRecord
from openrs.report.table import ACCURACY, COMPLETION_LENGTH, CURVES, REWARD, differing_overrides, run_label

PLOT_FILES = {REWARD: "reward.png", ACCURACY: "accuracy.png", COMPLETION_LENGTH: "completion_length.png"}


def plot_curve(runs: list[RunRecord], key: str, ylabel: str | None = None) -> Figure:
    """A figure of metric `key` against step with one line per run that logged it."""
    labels = differing_overrides(runs)
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.add_subplot()
    for run in runs:
        if key in run.metrics and run.metrics[key].notna().any():
            values = run.metrics[key].dropna()
            ax.plot(values.index, values.to_numpy(), marker="o", markersize=3, label=run_label(run, labels))
    ax.set_xlabel("step")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(ylabel or CURVES.get(key, key))
    ax.set_title(f"{ylabel or CURVES.get(key, key)} ({key})")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, f"no run logged {key}", ha="center", va="center", transform=ax.transAxes)
    return fig


def write_plots(runs: list[RunRecord], out_dir: str | Path) -> list[Path]:
    """reward.png, accuracy.png and completion_length.png in `out_dir`; their paths."""
    paths = []
    for key, filename in PLOT_FILES.items():
        path = Path(out_dir) / filename
        plot_curve(runs, key).savefig(path, dpi=120)  # a PNG from a bare Figure is drawn by Agg
        paths.append(path)
    return paths
