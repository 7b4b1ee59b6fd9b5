"""Results of runs and sweeps: tables, curves and cost, written by `python -m openrs.report DIR`."""

from openrs.report.cost import DEFAULT_PRICE_PER_GPU_HOUR, PAPER_COSTS, cost_comparison, gpu_hours
from openrs.report.plots import plot_curve, write_plots
from openrs.report.render import Report, build_report, markdown_table, render_markdown, write_report
from openrs.report.runs import RunRecord, find_run_dirs, load_run, load_runs
from openrs.report.table import ACCURACY, COMPLETION_LENGTH, CURVES, REWARD, summarize_runs

__all__ = [
    "ACCURACY", "COMPLETION_LENGTH", "CURVES", "DEFAULT_PRICE_PER_GPU_HOUR", "PAPER_COSTS", "REWARD",
    "Report", "RunRecord", "build_report", "cost_comparison", "find_run_dirs", "gpu_hours", "load_run",
    "load_runs", "markdown_table", "plot_curve", "render_markdown", "summarize_runs", "write_plots",
    "write_report",
]  # fmt: skip
