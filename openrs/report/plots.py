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
VALIDATION = "val/mean_pass@1"  # openrs.training.validation's mean over the validated benchmarks
VALIDATION_FILE = "validation.png"


def validated(runs: list[RunRecord]) -> bool:
    """Whether any run logged a validation (then the report has validation.png)."""
    return any(VALIDATION in run.metrics and run.metrics[VALIDATION].notna().any() for run in runs)


def best_step(run: RunRecord, values) -> int:
    """The run's best validated step: its summary's `best`, else (unfinished) its highest value's first step."""
    best = (run.summary or {}).get("best")
    if isinstance(best, dict) and best.get("step") in values.index:
        return best["step"]
    return values.idxmax()


def reference_experiments(runs: list[RunRecord]) -> list[str]:
    """The paper experiments the runs ran (their `experiment_name`), or all three when none did."""
    names = {(run.config or {}).get("experiment_name") for run in runs}
    return [e for e in MODELS if e in names] or list(MODELS)


def plot_curve(
    runs: list[RunRecord],
    key: str,
    ylabel: str | None = None,
    reference: list[str] | None = None,
    mark_best: bool = False,
) -> Figure:
    """Metric `key` against step, one line per run that logged it (its best step starred with `mark_best`);
    beside it the paper's curves of `reference`."""
    labels = differing_overrides(runs)
    fig = Figure(figsize=(13, 4.5) if reference else (7, 4), layout="constrained")
    axes = fig.subplots(1, 2 if reference else 1, squeeze=False)[0]
    ax = axes[0]
    for run in runs:
        if key in run.metrics and run.metrics[key].notna().any():
            values = run.metrics[key].dropna()
            (line,) = ax.plot(
                values.index, values.to_numpy(), marker="o", markersize=3, label=run_label(run, labels)
            )
            if mark_best:
                step = best_step(run, values)
                ax.plot([step], [values[step]], marker="*", markersize=14, color=line.get_color(),
                        linestyle="", label=f"_best of {line.get_label()}")  # fmt: skip
    ax.set_xlabel("step")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(ylabel or CURVES.get(key, key))
    ax.set_title(f"{ylabel or CURVES.get(key, key)} ({key})")
    ax.grid(alpha=0.3)
    if ax.lines:
        if mark_best:  # a legend-only star: its own label starts with '_', hidden
            ax.plot(
                [], [], marker="*", markersize=10, color="grey", linestyle="", label="best validated step"
            )
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, f"no run logged {key}", ha="center", va="center", transform=ax.transAxes)
    if reference:
        ax.set_title(f"These runs: {ylabel or CURVES.get(key, key)} ({key})", fontsize="medium")
        draw_reference(axes[1], reference, ["aime24", "math500", "amc23"], BENCHMARK_TITLES)
        axes[1].set_ylabel("benchmark pass@1 (%)")
    return fig


def write_plots(runs: list[RunRecord], out_dir: str | Path) -> list[Path]:
    """reward.png, accuracy.png (beside the paper's curves), completion_length.png and, when a run validated,
    validation.png (best steps starred) in `out_dir`; their paths."""
    paths = []
    for key, filename in PLOT_FILES.items():
        path = Path(out_dir) / filename
        # Beside the training accuracy: the paper's benchmark scores over its own checkpoints.
        reference = reference_experiments(runs) if key == ACCURACY else None
        plot_curve(runs, key, reference=reference).savefig(path, dpi=120)  # a bare Figure is drawn by Agg
        paths.append(path)
    if validated(runs):
        path = Path(out_dir) / VALIDATION_FILE
        figure = plot_curve(runs, VALIDATION, "validation mean pass@1 (%)", reference_experiments(runs), True)
        figure.savefig(path, dpi=120)
        paths.append(path)
    return paths
