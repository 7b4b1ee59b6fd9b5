"""Curves against step, one line per sweep point, drawn without pyplot so no GUI backend is needed."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from openrs.evaluate.paper_reference import MODELS, draw_reference
from openrs.evaluate.report import BENCHMARK_TITLES
from openrs.report.runs import RunRecord
from openrs.report.table import ACCURACY, COMPLETION_LENGTH, CURVES, REWARD, differing_overrides, run_label

PLOT_FILES = {REWARD: "reward.png", ACCURACY: "accuracy.png", COMPLETION_LENGTH: "completion_length.png"}


def reference_experiments(runs: list[RunRecord]) -> list[str]:
    """The paper experiments the runs ran (their `experiment_name`), or all three when none did."""
    names = {(run.config or {}).get("experiment_name") for run in runs}
    return [e for e in MODELS if e in names] or list(MODELS)


def plot_curve(
    runs: list[RunRecord], key: str, ylabel: str | None = None, reference: list[str] | None = None
) -> Figure:
    """Metric `key` against step, one line per run that logged it; beside it the paper's curves of `reference`."""
    labels = differing_overrides(runs)
    fig = Figure(figsize=(13, 4.5) if reference else (7, 4), layout="constrained")
    axes = fig.subplots(1, 2 if reference else 1, squeeze=False)[0]
    ax = axes[0]
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
    if reference:
        ax.set_title(f"These runs: {ylabel or CURVES.get(key, key)} ({key})", fontsize="medium")
        draw_reference(axes[1], reference, ["aime24", "math500", "amc23"], BENCHMARK_TITLES)
        axes[1].set_ylabel("benchmark pass@1 (%)")
    return fig


def write_plots(runs: list[RunRecord], out_dir: str | Path) -> list[Path]:
    """reward.png, accuracy.png (beside the paper's curves) and completion_length.png in `out_dir`; their paths."""
    paths = []
    for key, filename in PLOT_FILES.items():
        path = Path(out_dir) / filename
        # Beside the training accuracy: the paper's benchmark scores over its own checkpoints.
        reference = reference_experiments(runs) if key == ACCURACY else None
        plot_curve(runs, key, reference=reference).savefig(path, dpi=120)  # a bare Figure is drawn by Agg
        paths.append(path)
    return paths
