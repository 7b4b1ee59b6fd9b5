"""The sweep table: differing overrides, final and best values, wall time, GPU-hours and cost."""

from __future__ import annotations

import pandas as pd
import pytest

from openrs.report.runs import load_runs
from openrs.report.table import common_overrides, differing_overrides, run_label, summarize_runs

GPU4 = {"hardware": {"device": "cuda", "num_gpus": 4}}


@pytest.fixture
def sweep(tmp_path, write_run, step_rows):
    """Two finished 4-GPU runs differing in lr, and one unfinished run without overrides."""
    common = "+experiment=exp2"
    write_run(
        tmp_path / "0", step_rows([0.1, 0.5, 0.3], [0.0, 0.5, 0.25], [900, 700, 650]),
        GPU4, {"wall_time_s": 1800.0, "global_step": 3}, [common, "optimizer.lr=1e-6"],
    )  # fmt: skip
    write_run(
        tmp_path / "1", step_rows([0.2, 0.4], [0.1, 0.2], [800, 820]),
        GPU4, {"wall_time_s": 3600.0, "global_step": 2}, [common, "optimizer.lr=2e-6"],
    )  # fmt: skip
    write_run(tmp_path / "2", step_rows([0.0, 0.1], step_time=90.0), GPU4)
    return load_runs(tmp_path)


def test_overrides_split_into_swept_and_shared(sweep):
    assert differing_overrides(sweep[:2]) == ["optimizer.lr"]
    assert common_overrides(sweep[:2]) == ["experiment=exp2"]
    assert differing_overrides(sweep) == ["experiment", "optimizer.lr"]  # run 2 has no overrides
    assert run_label(sweep[0], ["optimizer.lr"]) == "optimizer.lr=1e-6"
    assert run_label(sweep[2], ["optimizer.lr"]) == "2"


def test_summarize_runs_final_best_time_and_cost(sweep):
    table = summarize_runs(sweep, price_per_gpu_hour=0.5).set_index("run")
    first = table.loc["0"]
    assert (first.final_reward, first.best_reward) == (0.3, 0.5)
    assert (first.final_accuracy, first.best_accuracy) == (0.25, 0.5)
    assert first.final_completion_length == 650
    assert first.steps == 3 and first.status == "finished"
    assert first.gpu_hours == pytest.approx(2.0)  # 4 GPUs x 0.5 h
    assert first.cost_usd == pytest.approx(1.0)
    assert table.loc["1", "cost_usd"] == pytest.approx(2.0)
    unfinished = table.loc["2"]
    assert unfinished.status == "unfinished"
    assert unfinished.wall_time_s == 180.0  # summed step_time: no summary yet
    assert pd.isna(unfinished.final_accuracy)  # this run logged no accuracy reward


@pytest.mark.parametrize(("resumed_from", "wall_time"), [(None, 100.0), ("checkpoints/checkpoint-2", 270.0)])
def test_a_resumed_runs_wall_time_counts_every_attempt(
    tmp_path, write_run, step_rows, resumed_from, wall_time
):
    summary = {"wall_time_s": 100.0, "global_step": 3, "resumed_from": resumed_from}
    write_run(tmp_path / "run", step_rows([0.0] * 3, step_time=90.0), GPU4, summary)
    assert summarize_runs(load_runs(tmp_path), 1.0).loc[0, "wall_time_s"] == wall_time
