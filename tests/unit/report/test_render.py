"""Markdown, CSV and PNG files of a report."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from PIL import Image

from openrs.errors import ConfigError
from openrs.report.plots import reference_experiments
from openrs.report.render import build_report, format_value, markdown_table, write_report

GPU1 = {"hardware": {"device": "cuda", "num_gpus": 1}}


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("wall_time_s", 42.4, "42 s"), ("wall_time_s", 725, "12 min 5 s"), ("wall_time_s", 86400, "24 h 00 min"),
        ("validation_s", 270.0, "4 min 30 s"),
        ("cost_usd", 3629, "$3,629.00"), ("gpu_hours", 0.0, "0.00"), ("steps", 3.0, "3"),
        ("final_reward", 0.12345, "0.123"), ("final_completion_length", 650.25, "650.2"),
        ("num_gpus", math.nan, "—"), ("optimizer.lr", None, "—"), ("run", "a|b", "a\\|b"),
    ],
)  # fmt: skip
def test_format_value(column, value, text):
    assert format_value(column, value) == text


def test_markdown_table_has_a_row_per_run():
    text = markdown_table(pd.DataFrame({"run": ["0", "1"], "cost_usd": [1.0, None]}))
    assert text.splitlines() == ["| run | cost |", "|---|---|", "| 0 | $1.00 |", "| 1 | — |"]


def test_write_report_files(tmp_path, write_run, step_rows):
    for job, lr in enumerate(("1e-6", "3e-6")):
        write_run(
            tmp_path / "sweep" / str(job), step_rows([0.1, 0.4], [0.0, 0.5], [300, 280]),
            GPU1, {"wall_time_s": 7200.0, "global_step": 2}, [f"optimizer.lr={lr}"],
        )  # fmt: skip
    report = build_report(tmp_path / "sweep", price_per_gpu_hour=1.5)
    paths = write_report(report, tmp_path / "out")
    assert {p.name for p in paths} == {
        "report.md", "report.csv", "reward.png", "accuracy.png", "completion_length.png"
    }  # fmt: skip
    for png in paths[2:]:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv = pd.read_csv(tmp_path / "out" / "report.csv")
    assert csv["cost_usd"].tolist() == [3.0, 3.0]  # 1 GPU x 2 h x $1.5
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "| openrs: sweep (measured) | 2 runs: 1 GPU | 4 h 00 min | — | 4.00 | $6.00 |" in markdown
    assert "| DeepScaleR-1.5B-Preview |" in markdown
    assert "![reward.png](reward.png)" in markdown
    assert not (tmp_path / "sweep" / "report.md").exists()  # --out keeps the sweep dir untouched
    assert "validation.png" not in markdown  # no run validated


def val_rows(means: dict[int, float], seconds: float) -> list[dict]:
    """metrics.jsonl rows: a step-0 validation, then training steps 1..max, validated where `means` says."""
    rows = [{"step": 0, "val/mean_pass@1": means[0], "val/time_s": seconds}]
    for step in range(1, max(means) + 1):
        row = {"step": step, "loss": 0.0, "reward": 0.1, "step_time": 2.0}
        if step in means:
            row.update({"val/mean_pass@1": means[step], "val/time_s": seconds})
        rows.append(row)
    return rows


def test_validated_runs_get_validation_png_with_their_best_steps_and_validation_time(tmp_path, write_run):
    from openrs.report.plots import VALIDATION, plot_curve

    write_run(tmp_path / "sweep" / "0", val_rows({0: 10.0, 2: 30.0, 4: 20.0}, 60.0), GPU1,
              {"wall_time_s": 3600.0, "global_step": 4, "best": {"step": 2, "metric": 30.0}},
              ["optimizer.lr=1e-6"])  # fmt: skip
    # Unfinished: no summary, its best is its highest value (the first of equals).
    write_run(tmp_path / "sweep" / "1", val_rows({0: 10.0, 2: 40.0, 4: 40.0}, 30.0), GPU1, None,
              ["optimizer.lr=3e-6"])  # fmt: skip
    report = build_report(tmp_path / "sweep")
    paths = write_report(report, tmp_path / "out")
    assert (tmp_path / "out" / "validation.png") in paths
    lines = {
        line.get_label(): line for line in plot_curve(report.runs, VALIDATION, mark_best=True).axes[0].lines
    }
    assert list(lines["optimizer.lr=1e-6"].get_xdata()) == [0, 2, 4]
    assert list(lines["optimizer.lr=3e-6"].get_ydata()) == [10.0, 40.0, 40.0]
    assert list(lines["_best of optimizer.lr=1e-6"].get_xydata()[0]) == [2, 30.0]
    assert list(lines["_best of optimizer.lr=3e-6"].get_xydata()[0]) == [2, 40.0]
    assert report.table["validation_s"].tolist() == [180.0, 90.0]
    assert (
        report.costs["validation_s"].iloc[-1] == 270.0 and report.costs["validation_s"].iloc[:-1].isna().all()
    )
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "![validation.png](validation.png)" in markdown
    assert "| openrs: sweep (measured) | 2 runs: 1 GPU |" in markdown and "| 4 min 30 s |" in markdown


@pytest.mark.parametrize(
    "experiments, drawn", [((None, None), ["exp1", "exp2", "exp3"]), (("exp3", None), ["exp3"])]
)
def test_the_accuracy_plot_has_the_papers_curves_beside_it(
    tmp_path, write_run, step_rows, experiments, drawn
):
    for job, experiment in enumerate(experiments):
        config = {**GPU1, **({"experiment_name": experiment} if experiment else {})}
        write_run(tmp_path / "sweep" / str(job), step_rows([0.1, 0.4], [0.0, 0.5]), config)
    report = build_report(tmp_path / "sweep")
    assert reference_experiments(report.runs) == drawn
    write_report(report, tmp_path / "out")
    with (
        Image.open(tmp_path / "out" / "accuracy.png") as image,
        Image.open(tmp_path / "out" / "reward.png") as reward,
    ):
        assert image.size == (13 * 120, int(4.5 * 120)) and reward.size == (7 * 120, 4 * 120)
    assert "the paper's own lighteval pass@1 per checkpoint" in (tmp_path / "out" / "report.md").read_text()


def test_an_unwritable_out_dir_is_one_error(tmp_path, write_run, step_rows):
    write_run(tmp_path / "run", step_rows([0.1]), GPU1)
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match=r"cannot write the report into .*/file/out: Not a directory"):
        write_report(build_report(tmp_path / "run"), tmp_path / "file" / "out")
