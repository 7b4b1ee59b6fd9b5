"""A run dir holds one run: resumes that change what is trained are refused, others recorded; a start from
step 0 sets an earlier run aside; interrupts and failed writes are said in one line."""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
from pathlib import Path

import pytest
import yaml

from openrs.errors import Interrupted
from openrs.run_dir import (
    ConfigChangedError,
    RunDir,
    claim_run_dir,
    config_changes,
    interrupted,
    plan_resume,
    read_config_history,
    write_failure,
)
from openrs.run_dir.hydra_check import _EARLIER_HYDRA_FILES
from openrs.run_dir.writes import checkpoint_write_error

BASE = {
    "seed": 42,
    "model": {"name_or_path": "tiny", "tiny": {"num_hidden_layers": 2}},
    "optimizer": {"lr": 1.0e-6, "lr_scheduler_type": "cosine_with_min_lr"},
    "trainer": {"max_steps": 4, "save_steps": 2, "logging_steps": 1},
    "reward": {"funcs": {"accuracy": {"_target_": "openrs.rewards.accuracy_reward", "weight": 1.0}}},
    "hardware": {"num_training_processes": 1, "vllm_server_port": 8000},
    "run": {"logger": "jsonl", "resume": "auto"},
    "callbacks": {"console": {"experiment": "tiny"}},
}


def _with(key: str, value) -> dict:
    config = json.loads(json.dumps(BASE))
    *parents, last = key.split(".")
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return config


def _without(key: str) -> dict:
    config = json.loads(json.dumps(BASE))
    *parents, last = key.split(".")
    node = config
    for part in parents:
        node = node[part]
    del node[last]
    return config


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (BASE, []),
        (_with("optimizer.lr", 0.5), [("optimizer.lr", 1e-6, 0.5, False)]),
        (_with("seed", 7), [("seed", 42, 7, False)]),
        (_with("model.tiny.num_hidden_layers", 3), [("model.tiny.num_hidden_layers", 2, 3, False)]),
        (_with("hardware.num_training_processes", 3), [("hardware.num_training_processes", 1, 3, False)]),
        (_with("reward.funcs.tags", {"weight": 0.5}), [("reward.funcs.tags", "(unset)", {"weight": 0.5}, False)]),
        (_without("reward.funcs.accuracy"), [("reward.funcs.accuracy", BASE["reward"]["funcs"]["accuracy"], "(unset)", False)]),
        (_with("trainer.max_steps", 8), [("trainer.max_steps", 4, 8, True)]),
        (_with("trainer.save_steps", 5), [("trainer.save_steps", 2, 5, True)]),
        (_with("run.logger", "wandb"), [("run.logger", "jsonl", "wandb", True)]),
        (_with("callbacks.console.experiment", "x"), [("callbacks.console.experiment", "tiny", "x", True)]),
        (_with("hardware.vllm_server_port", 0), [("hardware.vllm_server_port", 8000, 0, True)]),
        # a field openrs added since the run started, at its default: not a change
        (_with("reward.invalid_window", 10), []),
        (_with("reward.invalid_window", 3), [("reward.invalid_window", "(unset)", 3, True)]),
        (_with("dataset.dedupe", True), []),
        (_with("dataset.dedupe", False), [("dataset.dedupe", "(unset)", False, False)]),
    ],
)  # fmt: skip
def test_config_changes_and_which_cannot_change_what_is_trained(new, expected):
    changes = config_changes(BASE, new)
    assert [(c.key, c.old, c.new, c.neutral) for c in changes] == expected


def _run_with_checkpoint(run_dir: Path, step: int = 4, config: dict = BASE) -> None:
    checkpoint = RunDir(run_dir).checkpoint(step)
    checkpoint.mkdir(parents=True)
    (checkpoint / "trainer_state.json").write_text(json.dumps({"global_step": step, "max_steps": 4}))
    RunDir(run_dir).config.write_text(yaml.safe_dump(config))
    RunDir(run_dir).metrics.write_text("".join(json.dumps({"step": s}) + "\n" for s in range(1, step + 1)))


def test_a_resume_that_changes_what_is_trained_is_refused_in_one_line(tmp_path):
    _run_with_checkpoint(tmp_path)
    before = RunDir(tmp_path).config.read_text()
    new = _with("seed", 7) | {"optimizer": {"lr": 0.5, "lr_scheduler_type": "cosine_with_min_lr"}}
    with pytest.raises(ConfigChangedError) as err, claim_run_dir(tmp_path, "auto", 8, yaml.safe_dump(new)):
        pass
    message = str(err.value)
    assert "\n" not in message
    assert f"cannot resume {tmp_path} from checkpoint-4 with a different config: " in message
    assert "seed 42 -> 7" in message and "optimizer.lr 1e-06 -> 0.5" in message
    assert "trainer.max_steps" not in message  # allowed, so not among the refused
    assert "run.resume=never" in message and "another hydra.run.dir" in message
    assert RunDir(tmp_path).config.read_text() == before
    assert not RunDir(tmp_path).config_history.exists()


def test_a_refused_resume_puts_back_the_runs_hydra_files(tmp_path):
    _run_with_checkpoint(tmp_path)
    overrides = tmp_path / ".hydra" / "overrides.yaml"
    overrides.parent.mkdir()
    overrides.write_text("- seed=7\n")  # what Hydra wrote for the refused command
    _EARLIER_HYDRA_FILES[str(tmp_path.resolve())] = {overrides: b"- trainer.max_steps=4\n"}
    with (
        pytest.raises(ConfigChangedError),
        claim_run_dir(tmp_path, "auto", 4, yaml.safe_dump(_with("seed", 7))),
    ):
        pass
    assert overrides.read_text() == "- trainer.max_steps=4\n"


def test_a_resume_with_allowed_changes_is_logged_and_recorded(tmp_path, caplog):
    _run_with_checkpoint(tmp_path)
    new = _with("trainer.max_steps", 8) | {"run": {"logger": "wandb", "resume": "auto"}}
    with caplog.at_level(logging.WARNING), claim_run_dir(tmp_path, "auto", 8, yaml.safe_dump(new)) as start:
        assert start.step == 4 and not start.complete
    (row,) = read_config_history(tmp_path)
    assert (row["event"], row["step"]) == ("resume", 4)
    assert row["changed"] == {"trainer.max_steps": [4, 8], "run.logger": ["jsonl", "wandb"]}
    assert yaml.safe_load(RunDir(tmp_path).config.read_text()) == new  # the config it goes on with
    (line,) = [r.getMessage() for r in caplog.records if "resuming from step 4" in r.getMessage()]
    assert "trainer.max_steps 4 -> 8" in line and "config_history.jsonl" in line


def test_a_new_run_records_its_start(tmp_path):
    with claim_run_dir(tmp_path, "auto", 4, yaml.safe_dump(BASE)) as start:
        assert start.step == 0
    assert [(r["event"], r["step"], r["changed"]) for r in read_config_history(tmp_path)] == [
        ("start", 0, {})
    ]


@pytest.mark.parametrize("left", ["metrics.jsonl", "summary.json", "both"])
def test_a_start_from_step_0_sets_an_earlier_runs_results_aside(tmp_path, caplog, left):
    run = RunDir(tmp_path)
    if left in ("metrics.jsonl", "both"):
        run.metrics.write_text(json.dumps({"step": 1}) + "\n")
    if left in ("summary.json", "both"):
        run.summary.write_text("{}\n")
    run.config.write_text("seed: 1\n")
    with caplog.at_level(logging.WARNING):
        start = plan_resume(tmp_path, "auto", 4)  # e.g. checkpoints/ deleted
    assert start.checkpoint is None
    (moved,) = run.earlier_runs.iterdir()
    expected = {"metrics.jsonl", "summary.json"} if left == "both" else {left}
    assert {p.name for p in moved.iterdir()} == expected | {"config.yaml"}
    assert not run.metrics.exists() and not run.summary.exists()
    (line,) = [r.getMessage() for r in caplog.records]
    assert (
        f"{tmp_path} has no checkpoint to resume from: moved the earlier run's" in line and str(moved) in line
    )


def test_a_launched_process_moves_nothing(tmp_path):
    RunDir(tmp_path).metrics.write_text(json.dumps({"step": 1}) + "\n")
    assert plan_resume(tmp_path, "auto", 4, may_move=False).checkpoint is None
    assert RunDir(tmp_path).metrics.exists() and not RunDir(tmp_path).earlier_runs.exists()


@pytest.mark.parametrize(
    ("signum", "checkpoints", "expected"),
    [
        (signal.SIGINT, [2, 4], "interrupted at step 5; the last checkpoint is step 4; rerun"),
        (signal.SIGTERM, [], "interrupted at step 5; no checkpoint yet; rerun"),
        (signal.SIGINT, [2, "4-partial"], "interrupted at step 5; the last checkpoint is step 2; rerun"),
    ],
)
def test_an_interrupt_says_where_the_run_stopped(tmp_path, signum, checkpoints, expected):
    run = RunDir(tmp_path)
    run.metrics.write_text("".join(json.dumps({"step": s}) + "\n" for s in range(1, 6)) + '{"step": 6, "lo')
    for step in checkpoints:
        partial = isinstance(step, str)
        path = run.checkpoint(int(str(step).split("-")[0]))
        path.mkdir(parents=True)
        if not partial:  # a save cut short has no trainer_state.json
            (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    err = KeyboardInterrupt() if signum == signal.SIGINT else Interrupted(signum)
    result = interrupted(tmp_path, err)
    assert isinstance(result, Interrupted) and result.signum == signum and not result.quiet
    assert result.message.startswith(expected)
    assert result.message.endswith(f"with hydra.run.dir={tmp_path} to resume")
    assert interrupted(tmp_path, err, quiet=True).quiet


@pytest.mark.parametrize(
    ("err", "cause"),
    [
        (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), "no space left on the device"),
        (OSError(errno.EROFS, os.strerror(errno.EROFS)), "the file system is read-only"),
        (OSError(errno.EDQUOT, os.strerror(errno.EDQUOT)), "the disk quota is exceeded"),
        # safetensors: the OS error only as text
        (
            Exception('IoError(Os { code: 28, message: "No space left on device" })'),
            "no space left on the device",
        ),
        (RuntimeError("a bug"), None),
        (OSError(errno.ENOENT, os.strerror(errno.ENOENT)), None),
    ],
)
def test_write_failure_names_the_cause(tmp_path, err, cause):
    assert write_failure(tmp_path / "file", err) == cause


@pytest.mark.parametrize(
    ("free_blocks", "flags", "cause"), [(0, 0, "no space left"), (10**6, os.ST_RDONLY, "read-only")]
)
def test_a_write_error_without_errno_is_explained_by_the_file_system(
    tmp_path, monkeypatch, free_blocks, flags, cause
):
    class Stat:
        f_bavail, f_frsize, f_flag = free_blocks, 4096, flags

    monkeypatch.setattr(os, "statvfs", lambda path: Stat())
    failure = write_failure(
        tmp_path / "checkpoints" / "checkpoint-4", RuntimeError("basic_ios::clear: iostream error")
    )
    assert cause in failure


def test_a_checkpoint_that_cannot_be_saved_is_removed_and_the_earlier_one_named(tmp_path):
    run = RunDir(tmp_path)
    earlier = run.checkpoint(2)
    earlier.mkdir(parents=True)
    (earlier / "trainer_state.json").write_text(json.dumps({"global_step": 2}))
    partial = run.checkpoint(4)
    partial.mkdir()
    (partial / "model.safetensors").write_bytes(b"\x00" * 10)
    message = str(checkpoint_write_error(partial, "no space left on the device"))
    assert message.startswith(
        f"cannot save {partial}: no space left on the device (its partial folder is removed)"
    )
    assert "checkpoint-2 is untouched" in message and f"hydra.run.dir={tmp_path} to resume" in message
    assert not partial.exists() and (earlier / "trainer_state.json").exists()
