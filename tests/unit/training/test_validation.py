"""Validation during training: its protocol, work split, metrics, best step and config checks."""

from __future__ import annotations

import json
from types import SimpleNamespace

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
from openrs.training.validation import (
    ValidationCallback,
    batches_for_rank,
    metric_names,
    validation_metrics,
    validation_protocol,
)


def test_protocol_defaults_to_the_papers_sampling_and_takes_overrides():
    paper = validation_protocol(ValidationConfig())
    assert paper.sampling == SamplingConfig()
    assert paper.benchmarks == ["aime24", "amc23"] and paper.checker == "paper" and paper.use_chat_template
    short = validation_protocol(ValidationConfig(max_new_tokens=64, num_samples=4, seed=7, checker="boxed"))
    assert (short.sampling.max_new_tokens, short.sampling.num_samples, short.sampling.seed) == (64, 4, 7)
    assert short.sampling.temperature == SamplingConfig.temperature and short.checker == "boxed"


@pytest.mark.parametrize("world_size", [1, 2, 3])
def test_ranks_split_whole_batches_so_every_layout_generates_the_same_batches(world_size):
    items = list(range(11))
    single = batches_for_rank(items, 4, 0, 1)
    shares = [batches_for_rank(items, 4, rank, world_size) for rank in range(world_size)]
    assert sorted(batch for share in shares for batch in share) == sorted(single)
    assert single == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]


def test_metrics_per_benchmark_and_their_mean():
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
