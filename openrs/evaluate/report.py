"""results.json, a markdown table beside the paper's Table 2, and accuracy against training step."""

from __future__ import annotations

import json
import math
from pathlib import Path

from openrs.data.benchmarks import BENCHMARKS
from openrs.evaluate.paper_reference import BENCHMARK_COLORS, MODELS, draw_reference, table2_step

RESULTS_FILE = "results.json"
TABLE_FILE = "results.md"
CURVE_FILE = "accuracy_vs_step.png"
BENCHMARK_TITLES = {
    "aime24": "AIME24",
    "math500": "MATH-500",
    "amc23": "AMC23",
    "minerva": "Minerva",
    "olympiadbench": "OlympiadBench",
}
# The paper's Table 2 (pass@1 in %, one sample per problem), columns in PAPER_COLUMNS order.
PAPER_COLUMNS = ("aime24", "math500", "amc23", "minerva", "olympiadbench", "avg")
PAPER_TABLE2 = {
    "DeepSeek-R1-Distill-Qwen-1.5B": (28.8, 82.8, 62.9, 26.5, 43.3, 48.9),
    "Open-RS1": (30.0, 83.8, 70.0, 29.0, 52.4, 53.0),
    "Open-RS2": (30.0, 85.4, 80.0, 30.5, 52.4, 55.7),
    "Open-RS3": (46.7, 84.4, 72.5, 26.8, 51.3, 56.3),
    "DeepScaleR-1.5B-Preview": (43.1, 87.8, 73.6, 30.2, 50.0, 57.0),
}


def paper_rows() -> dict[str, dict[str, float]]:
    """The paper's Table 2 as {model: {benchmark: pass@1, "avg": average}}."""
    return {model: dict(zip(PAPER_COLUMNS, row, strict=True)) for model, row in PAPER_TABLE2.items()}


def paper_row_name(model: str) -> str:
    """A Table 2 row's name with the checkpoint it comes from, e.g. 'Open-RS3 (Exp3 step 50)'."""
    for experiment, name in MODELS.items():
        if name == model:
            return f"{model} (Exp{experiment[-1]} step {table2_step(experiment)})"
    return f"{model} (as reported)"


def _cell(value: float | None, stderr: float | None = None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if stderr is None else f"{value:.1f} ± {stderr:.1f}"


def _target_name(target: dict) -> str:
    return target["label"] if target.get("step") is None else f"{target['label']} (step {target['step']})"


def main_table(results: dict) -> list[str]:
    """pass@1 ± stderr per benchmark and the average, one row per target, then the paper's rows."""
    benchmarks = results["protocol"]["benchmarks"]
    average_title = (
        "avg" if len(benchmarks) == len(BENCHMARKS) else f"avg ({len(benchmarks)} of {len(BENCHMARKS)})"
    )
    lines = [
        "| model | " + " | ".join(BENCHMARK_TITLES[b] for b in BENCHMARKS) + f" | {average_title} |",
        "|---" * (len(BENCHMARKS) + 2) + "|",
    ]
    for target in results["targets"]:
        scores = target["benchmarks"]
        cells = [
            _cell(scores[b]["pass@1"], scores[b]["pass@1_stderr"]) if b in scores else "–" for b in BENCHMARKS
        ]
        average = target["average"]
        cells.append(_cell(average.get("pass@1"), average.get("pass@1_stderr")))
        lines.append(f"| {_target_name(target)} | " + " | ".join(cells) + " |")
    for model, row in paper_rows().items():
        lines.append(
            f"| *paper:* {paper_row_name(model)} | "
            + " | ".join(_cell(row[k]) for k in [*BENCHMARKS, "avg"])
            + " |"
        )
    return lines


def metrics_table(results: dict) -> list[str]:
    """Every metric of every benchmark and target."""
    rows = [(t, b, m) for t in results["targets"] for b, m in t["benchmarks"].items()]
    if not rows:
        return []
    names = sorted(
        {k for _, _, m in rows for k in m if k.startswith(("pass@", "maj@")) and "stderr" not in k},
        key=lambda k: (k.split("@")[0] != "pass", int(k.split("@")[1])),
    )
    header = ["model", "benchmark", "problems", "n", *names, "tokens", "truncated", "no answer"]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for target, bench, m in rows:
        cells = [
            _target_name(target),
            BENCHMARK_TITLES[bench],
            str(m["problems"]),
            str(m["samples_per_problem"]),
        ]
        cells += [_cell(m.get(k), m.get(f"{k}_stderr")) for k in names]
        cells += [f"{m['mean_completion_tokens']:.0f}", _cell(m["truncated_pct"]), _cell(m["no_answer_pct"])]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def markdown_report(results: dict) -> str:
    """The whole results.md: the protocol, the main table beside the paper's, then every metric."""
    protocol, sampling, backend = results["protocol"], results["protocol"]["sampling"], results["backend"]
    lines = [
        f"# Evaluation of `{results['model_path']}`",
        "",
        f"- protocol `{protocol['name']}`: {'chat template, ' if protocol['use_chat_template'] else ''}"
        f"temperature {sampling['temperature']}, top_p {sampling['top_p']}, max_new_tokens "
        f"{sampling['max_new_tokens']}, {sampling['num_samples']} sample(s) per problem, seed {sampling['seed']}",
        f"- backend: {backend['name']} on {backend['device']} ({backend['dtype']})",
    ]
    if protocol["limit"] is not None:
        lines.append(
            f"- **only the first {protocol['limit']} problem(s) of each benchmark: not comparable with the paper**"
        )
    lines += [
        "",
        "## pass@1 (%) ± standard error over problems, beside the paper's Table 2",
        "",
        *main_table(results),
    ]
    lines += ["", "## All metrics (%; tokens: mean completion length)", "", *metrics_table(results), ""]
    return "\n".join(lines)


def plot_accuracy_vs_step(results: dict, path: str | Path) -> Path | None:
    """pass@1 per benchmark and on average against step (±1 standard error), beside the paper's curves."""
    targets = sorted((t for t in results["targets"] if t.get("step") is not None), key=lambda t: t["step"])
    if len(targets) < 2:
        return None
    benchmarks = results["protocol"]["benchmarks"]
    series = [
        (BENCHMARK_TITLES[b], BENCHMARK_COLORS[b], [t["benchmarks"][b] for t in targets]) for b in benchmarks
    ]
    series.append((f"average ({len(benchmarks)} benchmarks)", "black", [t["average"] for t in targets]))
    curves = [
        (title, color, [p["pass@1"] for p in points], [p.get("pass@1_stderr") for p in points])
        for title, color, points in series
    ]
    fig = accuracy_figure(
        [t["step"] for t in targets],
        curves,
        f"This run: {results['model_path']}",
        benchmarks,
        results.get("paper_reference", {}).get("experiments", []),
    )
    fig.suptitle("Accuracy against training step")
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path


def accuracy_figure(
    steps: list[int],
    curves: list[tuple[str, str, list, list]],
    title: str,
    benchmarks: list[str],
    experiments: list[str],
    best_step: int | None = None,
):
    """A run's pass@1 curves (label, colour, values, standard errors) against step, the best step marked,
    beside the paper's per-checkpoint curves of `experiments` (a matplotlib Figure; None values are gaps)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(13 if experiments else 8, 5), layout="constrained")
    axes = fig.subplots(1, 2 if experiments else 1, sharey=True, squeeze=False)[0]
    ax = axes[0]
    for label, color, values, errors in curves:
        values = [math.nan if v is None else v for v in values]
        errors = [e or 0.0 for e in errors]
        bold = color == "black"
        ax.plot(steps, values, marker="o", label=label, linewidth=2.5 if bold else 1.2, color=color)
        low = [v - e for v, e in zip(values, errors, strict=True)]
        high = [v + e for v, e in zip(values, errors, strict=True)]
        ax.fill_between(steps, low, high, alpha=0.12, color=color)
    if best_step is not None:
        ax.axvline(best_step, color="black", linestyle="--", linewidth=1, label=f"best: step {best_step}")
    ax.set_ylim(0, 100)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("training step")
    ax.set_ylabel("pass@1 (%)")
    ax.set_title(title, fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    if experiments:
        draw_reference(axes[1], experiments, benchmarks, BENCHMARK_TITLES)
    return fig


def write_report(run_dir: str | Path, results: dict) -> list[Path]:
    """Write results.json, results.md and (for two or more steps) the accuracy-vs-step PNG."""
    run_dir = Path(run_dir)
    (run_dir / RESULTS_FILE).write_text(json.dumps(results, indent=2, default=str) + "\n")
    (run_dir / TABLE_FILE).write_text(markdown_report(results))
    written = [run_dir / RESULTS_FILE, run_dir / TABLE_FILE]
    curve = plot_accuracy_vs_step(results, run_dir / CURVE_FILE)
    return written + ([curve] if curve else [])
