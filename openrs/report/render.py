"""The report of a run or sweep: its tables built once, written as markdown, CSV and PNG plots."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from openrs.errors import ConfigError
from openrs.report.cost import DEFAULT_PRICE_PER_GPU_HOUR, cost_comparison
from openrs.report.plots import PLOT_FILES, VALIDATION_FILE, validated, write_plots
from openrs.report.runs import RunRecord, load_runs
from openrs.report.table import common_overrides, differing_overrides, summarize_runs

MARKDOWN_FILE = "report.md"
CSV_FILE = "report.csv"
COLUMN_TITLES = {
    "final_reward": "final reward", "best_reward": "best reward", "final_accuracy": "final accuracy",
    "best_accuracy": "best accuracy", "final_completion_length": "final length", "wall_time_s": "wall time",
    "validation_s": "validation time",
    "num_gpus": "GPUs", "gpu_hours": "GPU-hours", "cost_usd": "cost", "vs_open_rs": "× Open-RS cost",
}  # fmt: skip


@dataclass
class Report:
    """A sweep's runs with its run table and cost comparison."""

    root: Path
    runs: list[RunRecord]
    table: pd.DataFrame
    costs: pd.DataFrame
    price_per_gpu_hour: float

    @property
    def warnings(self) -> list[str]:
        """Every run's warnings, prefixed with the run's name."""
        return [f"run {run.name}: {warning}" for run in self.runs for warning in run.warnings]


def build_report(root: str | Path, price_per_gpu_hour: float = DEFAULT_PRICE_PER_GPU_HOUR) -> Report:
    """Load every run under `root` and build its tables."""
    root = Path(root)
    runs = load_runs(root)
    table = summarize_runs(runs, price_per_gpu_hour)
    label = f"openrs: {root.resolve().name} (measured)"
    return Report(root, runs, table, cost_comparison(table, label), price_per_gpu_hour)


def write_report(report: Report, out_dir: str | Path | None = None) -> list[Path]:
    """Write report.md, report.csv and the plots into `out_dir` (default: the report's root)."""
    out_dir = Path(out_dir or report.root)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        csv_path = out_dir / CSV_FILE
        report.table.to_csv(csv_path, index=False)
        plots = write_plots(report.runs, out_dir)
        md_path = out_dir / MARKDOWN_FILE
        md_path.write_text(render_markdown(report))
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ConfigError(
            f"cannot write the report into {out_dir}: {reason}; choose a writable --out"
        ) from None
    return [md_path, csv_path, *plots]


def render_markdown(report: Report) -> str:
    """The report as markdown: runs, curves, cost against the paper, warnings."""
    finished = sum(run.finished for run in report.runs)
    lines = [
        f"# openrs report: {report.root}",
        "",
        f"{len(report.runs)} run(s), {finished} finished. Price: ${report.price_per_gpu_hour:.4f} per GPU-hour.",
    ]
    common = common_overrides(report.runs)
    if common:
        lines.append(f"Overrides shared by every run: `{' '.join(common)}`.")
    varied = differing_overrides(report.runs)
    if varied:
        lines.append(f"Swept: {', '.join(f'`{key}`' for key in varied)}.")
    lines += ["", "## Runs", "", markdown_table(report.table), "", "## Curves", ""]
    lines += [f"![{name}]({name})" for name in PLOT_FILES.values()]
    lines += [
        "",
        "Beside the accuracy curve: the paper's own lighteval pass@1 per checkpoint (knoveleng/open-rs "
        "`logs/evals`, `logs/overall`; `openrs/evaluate/paper_reference.json`), for the shape of the "
        "curve, not its level: benchmark scores of a 1.5B model, not this run's training reward.",
    ]
    if validated(report.runs):
        lines += [
            "",
            f"![{VALIDATION_FILE}]({VALIDATION_FILE})",
            "",
            "Validation during training: `val/mean_pass@1` per run, its best step starred (summary.json `best`).",
        ]
    lines += ["", "## Cost against the paper", "", markdown_table(report.costs), ""]
    lines.append(
        "GPU-hours = GPUs × wall time (CPU runs count 0 GPUs); cost = GPU-hours × price; validation time "
        "(sum of `val/time_s`) is part of the wall time. "
        "Paper rows: Open RS (arXiv 2503.16219)."
    )
    if report.warnings:
        lines += ["", "## Warnings", "", *(f"- {warning}" for warning in report.warnings)]
    return "\n".join(lines) + "\n"


def markdown_table(table: pd.DataFrame) -> str:
    """A DataFrame as a GitHub markdown table, numbers formatted per column."""
    header = [COLUMN_TITLES.get(col, col) for col in table.columns]
    rows = [[format_value(col, value) for col, value in row.items()] for _, row in table.iterrows()]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def format_value(column: str, value) -> str:
    """One table cell: '—' when unknown, durations as h/m/s, money in dollars."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if column in ("wall_time_s", "validation_s"):
        return format_duration(value)
    if column == "cost_usd":
        return f"${value:,.2f}"
    if column == "vs_open_rs":
        return f"{value:,.3g}×"
    if column in ("steps", "num_gpus"):
        return str(int(value))
    if column == "gpu_hours":
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:.1f}" if column == "final_completion_length" else f"{value:.3f}"
    return str(value).replace("|", "\\|")


def format_duration(seconds: float) -> str:
    """Seconds as '42 s', '12 min 5 s' or '3 h 02 min'."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
