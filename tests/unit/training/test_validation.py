"""Validation during training: its protocol, work split, metrics, best step and config checks."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from openrs.config.schema import TrainConfig, ValidationConfig
from openrs.config.validate import validation_rules
from openrs.data.benchmarks import BENCHMARKS
from openrs.errors import ConfigError
from openrs.evaluate.config import CHECKERS, CheckpointsConfig, SamplingConfig
from openrs.evaluate.metrics import Sample
from openrs.evaluate.targets import best_step, resolve_targets
from openrs.preflight import check_validation
from openrs.training.summary import best_checkpoint

if TYPE_CHECKING:
    from openrs.training.validation import ValidationCallback


def test_protocol_defaults_to_the_papers_sampling_and_takes_overrides():
    from openrs.training.validation import (
        validation_protocol,
    )

    paper = validation_protocol(ValidationConfig())
    assert paper.sampling == SamplingConfig()
    assert paper.benchmarks == ["aime24", "amc23"] and paper.checker == "paper" and paper.use_chat_template
    short = validation_protocol(ValidationConfig(max_new_tokens=64, num_samples=4, seed=7, checker="boxed"))
    assert (short.sampling.max_new_tokens, short.sampling.num_samples, short.sampling.seed) == (64, 4, 7)
    assert short.sampling.temperature == SamplingConfig.temperature and short.checker == "boxed"


@pytest.mark.parametrize("world_size", [1, 2, 3])
def test_ranks_split_whole_batches_so_every_layout_generates_the_same_batches(world_size):
    from openrs.training.validation import (
        batches_for_rank,
    )

    items = list(range(11))
    single = batches_for_rank(items, 4, 0, 1)
    shares = [batches_for_rank(items, 4, rank, world_size) for rank in range(world_size)]
    assert sorted(batch for share in shares for batch in share) == sorted(single)
    assert single == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]


def test_metrics_per_benchmark_and_their_mean():
    from openrs.training.validation import (
        metric_names,
        validation_metrics,
    )

    right = Sample(answer="1", correct=True, num_tokens=10)
    wrong = Sample(answer=None, correct=False, num_tokens=30, truncated=True)
    metrics = validation_metrics({"aime24": [[right, wrong], [wrong, wrong]], "amc23": [[right, right]]}, 1.5)
    assert metrics["val/aime24/pass@1"] == pytest.approx(25.0)
    assert metrics["val/aime24/pass@1_se"] == pytest.approx(25.0)  # per-problem 50, 0: stdev 35.36 / sqrt 2
    assert metrics["val/aime24/mean_length"] == pytest.approx(25.0)
    assert metrics["val/aime24/truncated"] == pytest.approx(75.0)
    assert metrics["val/amc23/pass@1"] == 100.0 and metrics["val/amc23/pass@1_se"] is None
    assert metrics["val/mean_pass@1"] == pytest.approx(62.5) and metrics["val/time_s"] == 1.5
    assert set(metrics) == {f"val/{name}" for name in metric_names(["aime24", "amc23"])}


def recorder(patience: int | None = None) -> ValidationCallback:
    """A callback without loading anything (only its best-step bookkeeping is used)."""
    from transformers import EarlyStoppingCallback

    from openrs.training.validation import (
        ValidationCallback,
    )

    callback = ValidationCallback.__new__(ValidationCallback)
    callback.cfg, callback.metric = ValidationConfig(every=2, patience=patience), "val/mean_pass@1"
    callback.early_stopping = EarlyStoppingCallback(patience) if patience else None
    return callback


def test_best_step_is_transformers_best_global_step_and_patience_stops_training():
    from transformers import TrainerControl, TrainerState

    state, control, args = TrainerState(), TrainerControl(), SimpleNamespace(greater_is_better=True)
    callback = recorder(patience=2)
    for step, value in [(0, 10.0), (2, 30.0), (4, 30.0), (6, 20.0)]:
        state.global_step = step
        assert not control.should_training_stop
        callback._record_best(args, state, control, {"val/mean_pass@1": value})
    assert (state.best_global_step, state.best_metric) == (2, 30.0)  # a tie is not better
    assert control.should_training_stop
    assert best_checkpoint(state) == {"step": 2, "metric": 30.0, "checkpoint": None}


def val_row(step: int, aime: float, amc: float | None, **extra) -> dict:
    """A metrics.jsonl row holding a validation of aime24 and amc23 (None: that benchmark has no score)."""
    mean = aime if amc is None else (aime + amc) / 2
    return {"step": step, "val/aime24/pass@1": aime, "val/aime24/pass@1_se": 5.0, "val/amc23/pass@1": amc,
            "val/mean_pass@1": mean, "val/time_s": 1.0, **extra}  # fmt: skip


def curves(figure) -> dict[str, tuple[list, list]]:
    """The run panel's lines as {label: (steps, values)}, read back from the figure."""
    return {
        line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in figure.axes[0].lines
    }


def test_the_validation_plot_draws_each_benchmark_and_the_mean_with_the_best_step_beside_the_paper(tmp_path):
    from openrs.evaluate.paper_reference import average_curve, reference_curve
    from openrs.training.validation import (
        PLOT_FILE,
        plot_validation,
    )

    rows = [val_row(0, 10.0, 20.0), {"step": 1, "loss": 0.1}, val_row(2, 30.0, 50.0), val_row(4, 20.0, None)]
    figure = plot_validation(rows, ["aime24", "amc23"], ["exp2"], 2, tmp_path / PLOT_FILE)
    assert (tmp_path / PLOT_FILE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = curves(figure)
    assert lines["AIME24"] == ([0, 2, 4], [10.0, 30.0, 20.0])
    steps, amc = lines["AMC23"]
    assert steps == [0, 2, 4] and amc[:2] == [20.0, 50.0] and math.isnan(amc[2])  # a gap, not a zero
    assert lines["mean (2 benchmarks)"] == ([0, 2, 4], [15.0, 40.0, 20.0])
    assert lines["best: step 2"][0] == [2, 2]
    paper = {
        line.get_label(): list(zip(line.get_xdata(), line.get_ydata(), strict=True))
        for line in figure.axes[1].lines
    }
    assert paper["AIME24"] == reference_curve("exp2", "aime24") and paper["AMC23"] == reference_curve(
        "exp2", "amc23"
    )
    assert paper["average (AIME24, MATH-500, AMC23)"] == average_curve("exp2")


def test_no_validation_rows_draw_nothing(tmp_path):
    from openrs.training.validation import (
        PLOT_FILE,
        plot_validation,
    )

    assert plot_validation([{"step": 1, "loss": 0.1}], ["aime24"], [], None, tmp_path / PLOT_FILE) is None
    assert not (tmp_path / PLOT_FILE).exists()


def test_the_callback_redraws_from_metrics_jsonl_and_the_step_not_yet_written(tmp_path, monkeypatch):
    from transformers import TrainerState

    import openrs.training.validation as validation
    from openrs.training.validation import (
        PLOT_FILE,
        plot_validation,
    )

    drawn = []
    monkeypatch.setattr(validation, "plot_validation", lambda *args: drawn.append(plot_validation(*args)))
    (tmp_path / "metrics.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in [val_row(0, 10.0, 20.0), {"step": 1, "loss": 0.1}])
    )
    callback = recorder()
    callback.cfg = ValidationConfig(every=2, benchmarks=["aime24", "amc23"])
    callback.run_dir, callback.metrics_path = tmp_path, tmp_path / "metrics.jsonl"
    callback.plot(TrainerState(global_step=2, best_global_step=2), val_row(2, 40.0, 60.0))
    assert (tmp_path / PLOT_FILE).exists()
    lines = curves(drawn[0])
    assert lines["mean (2 benchmarks)"] == ([0, 2], [15.0, 50.0]) and "best: step 2" in lines
    assert len(drawn[0].axes) == 2  # beside the paper's curves (no experiment_name: all three)


def test_a_plot_that_fails_only_warns(tmp_path, caplog):
    from transformers import TrainerState

    callback = recorder()
    callback.cfg = ValidationConfig(every=2, benchmarks=["aime24", "amc23"])
    callback.run_dir, callback.metrics_path = tmp_path / "missing", tmp_path / "missing" / "metrics.jsonl"
    callback.plot(TrainerState(global_step=2), val_row(2, 40.0, 60.0))  # no folder to write into
    assert "cannot draw" in caplog.text


def test_summary_has_no_best_without_validation():
    from transformers import TrainerState

    assert best_checkpoint(TrainerState()) is None


@pytest.mark.parametrize(
    "override, key",
    [
        ({"every": -1}, "validation.every"),
        ({"benchmarks": ["aime25"]}, "validation.benchmarks"),
        ({"benchmarks": ["aime24", "aime24"]}, "validation.benchmarks"),
        ({"benchmarks": []}, "validation.benchmarks"),
        ({"limit": 0}, "validation.limit"),
        ({"num_samples": 0}, "validation.num_samples"),
        ({"checker": "exact"}, "validation.checker"),
        ({"max_new_tokens": 0}, "validation.max_new_tokens"),
        ({"top_p": 0.0}, "validation.top_p"),
        ({"metric": "math500/pass@1"}, "validation.metric"),
        ({"patience": 0}, "validation.patience"),
    ],
)
def test_bad_validation_values_fail_in_one_line_naming_the_key(override, key):
    cfg = TrainConfig(validation=ValidationConfig(**{"every": 2, **override}))
    with pytest.raises(ConfigError, match=rf"^{key}"):
        check_validation(cfg)


def test_good_validation_values_pass():
    good = ValidationConfig(every=50, metric="amc23/pass@1", patience=3, max_new_tokens=4096)
    rules = validation_rules(good, BENCHMARKS, CHECKERS)
    assert all(ok for ok, _ in rules)


def make_run(tmp_path, steps: list[int], summary_best: dict | None, state_best: int | None = None):
    """A training run dir with model-looking checkpoints, a summary and trainer states."""
    for step in steps:
        checkpoint = tmp_path / "checkpoints" / f"checkpoint-{step}"
        checkpoint.mkdir(parents=True)
        (checkpoint / "config.json").write_text("{}")
        (checkpoint / "trainer_state.json").write_text(json.dumps({"best_global_step": state_best}))
    if summary_best is not False:
        (tmp_path / "summary.json").write_text(json.dumps({"best": summary_best}))
    return tmp_path


def test_checkpoints_best_picks_the_summarys_best_step(tmp_path):
    run = make_run(tmp_path, [2, 4], {"step": 2, "metric": 50.0, "checkpoint": "checkpoint-2"})
    targets = resolve_targets(str(run), CheckpointsConfig(best=True))
    assert [(t.label, t.step) for t in targets] == [("checkpoint-2", 2)]


def test_an_unfinished_run_has_its_best_step_in_trainer_state(tmp_path):
    run = make_run(tmp_path, [2, 4], False, state_best=4)
    assert best_step(run) == 4


@pytest.mark.parametrize("best, message", [(None, "records no best step"), ({"step": 6}, "no checkpoint")])
def test_checkpoints_best_without_one_fails_in_one_line(tmp_path, best, message):
    run = make_run(tmp_path, [2, 4], best)
    with pytest.raises(ConfigError, match=message):
        resolve_targets(str(run), CheckpointsConfig(best=True))


@pytest.mark.parametrize(
    "every, limit, expected",
    [(0, 1, (1, None)), (2, 1, (2, "val/mean_pass@1")), (2, None, (None, "val/mean_pass@1"))],
)
def test_grpo_config_keeps_the_best_and_the_last_checkpoint(every, limit, expected):
    from openrs.training.grpo_args import grpo_config_kwargs

    cfg = TrainConfig(validation=ValidationConfig(every=every))
    cfg.trainer.save_total_limit = limit
    kwargs = grpo_config_kwargs(cfg, "out", [1.0])
    assert (kwargs["save_total_limit"], kwargs["metric_for_best_model"]) == expected
    assert kwargs["greater_is_better"] is (True if every else None)
