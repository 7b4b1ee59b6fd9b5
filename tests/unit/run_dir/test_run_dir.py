"""The run dir: checkpoints that can be resumed from, metrics kept whole, finished runs, one run per dir."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openrs.errors import ConfigError
from openrs.run_dir import (
    RunDir,
    RunDirBusyError,
    RunDirError,
    append_metrics,
    checkpoint_dirs,
    checkpoint_problem,
    checkpoint_step,
    claim_run_dir,
    hold_run_dir,
    last_checkpoint,
    plan_resume,
    read_metrics,
    trim_metrics,
)

REPO = Path(__file__).resolve().parents[3]


def _checkpoint(run_dir: Path, step: int, state: str | None) -> Path:
    path = RunDir(run_dir).checkpoint(step)
    path.mkdir(parents=True)
    if state is not None:
        (path / "trainer_state.json").write_text(state)
    return path


def _state(step: int, max_steps: int = 4) -> str:
    return json.dumps({"global_step": step, "max_steps": max_steps})


def _real_checkpoint(run_dir: Path, step: int) -> Path:
    """A checkpoint with the files Transformers writes: safetensors weights and torch.save archives."""
    import torch
    from safetensors.torch import save_file

    path = _checkpoint(run_dir, step, _state(step))
    save_file({"w": torch.arange(4096, dtype=torch.float32)}, path / "model.safetensors")
    torch.save({"state": {0: {"exp_avg": torch.ones(4096)}}}, path / "optimizer.pt")
    torch.save({"last_epoch": step}, path / "scheduler.pt")
    torch.save({"python": 1, "cpu": torch.random.get_rng_state()}, path / "rng_state.pth")
    return path


@pytest.mark.parametrize(
    ("name", "step"),
    [("checkpoint-4", 4), ("checkpoint-120", 120), ("checkpoint-", None), ("checkpoint-4.tmp", None),
     ("init_model", None), ("tmp-checkpoint-4", None)],
)  # fmt: skip
def test_checkpoint_step(name, step):
    assert checkpoint_step(Path("/runs/x/checkpoints") / name) == step


def test_last_checkpoint_skips_incomplete_ones(tmp_path):
    assert last_checkpoint(tmp_path) is None
    _checkpoint(tmp_path, 2, _state(2))
    complete = _checkpoint(tmp_path, 10, _state(10))  # 10 > 4: numeric, not text order
    _checkpoint(tmp_path, 4, _state(4))
    _checkpoint(tmp_path, 12, None)  # killed while saving: trainer_state.json is written last
    _checkpoint(tmp_path, 14, '{"global_st')  # killed while writing it
    assert last_checkpoint(tmp_path) == complete
    assert [checkpoint_step(p) for p in checkpoint_dirs(tmp_path)] == [2, 4, 10, 12, 14]


@pytest.mark.parametrize("file", ["model.safetensors", "optimizer.pt", "scheduler.pt", "rng_state.pth"])
@pytest.mark.parametrize("keep", [0.5, 0.0])
def test_a_truncated_checkpoint_file_is_named_and_resume_falls_back(tmp_path, caplog, file, keep):
    previous = _real_checkpoint(tmp_path, 2)
    broken = _real_checkpoint(tmp_path, 4)
    assert checkpoint_problem(broken) is None
    path = broken / file
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])
    assert file in checkpoint_problem(broken) and "truncated" in checkpoint_problem(broken)
    with caplog.at_level(logging.WARNING):
        assert last_checkpoint(tmp_path) == previous
    (line,) = [r.getMessage() for r in caplog.records if "cannot resume" in r.getMessage()]
    assert f"checkpoint-4: {file} is truncated" in line and "resuming from checkpoint-2 instead" in line
    assert "weights_only" not in line and "\n" not in line


def test_trim_keeps_steps_up_to_the_checkpoint_and_drops_a_half_written_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(
        "".join(json.dumps({"step": s, "loss": 0.1 * s}) + "\n" for s in range(1, 6)) + '{"step": 6, "lo'
    )
    assert trim_metrics(path, 4) == 4
    assert [row["step"] for row in read_metrics(path)] == [1, 2, 3, 4]
    assert path.read_text().endswith("\n")


def test_a_whole_row_missing_its_newline_is_kept_when_the_next_is_appended(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps({"step": 1}) + "\n" + json.dumps({"step": 2}))  # killed before "\n"
    assert trim_metrics(path, 2) == 2
    path.write_text(json.dumps({"step": 1}) + "\n" + json.dumps({"step": 2}))
    append_metrics(path, {"step": 3})
    assert [row["step"] for row in read_metrics(path)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("steps", "max_steps", "complete", "resume_step"),
    [
        ([], 4, False, 0),  # a fresh run dir
        ([2], 4, False, 2),  # killed part-way
        ([2, 4], 4, True, 4),  # finished (or killed between the last checkpoint and exit)
        ([2, 4], 6, False, 4),  # finished, then trainer.max_steps raised: it continues
        ([2, 4], 3, True, 4),  # max_steps lowered below what was trained: nothing to do
        ([2, 4], -1, True, 4),  # max_steps <= 0: the step count Transformers computed (4)
    ],
)
def test_plan_resume(tmp_path, steps, max_steps, complete, resume_step):
    for step in steps:
        _checkpoint(tmp_path, step, _state(step))
    start = plan_resume(tmp_path, "auto", max_steps)
    assert (start.complete, start.step) == (complete, resume_step)


def test_unknown_resume_mode_is_one_line():
    with pytest.raises(ConfigError, match=r"run.resume='sometimes' is not one of \('auto', 'never'\)"):
        plan_resume("/nonexistent", "sometimes", 4)


def test_resume_never_moves_the_earlier_run_aside_and_says_where(tmp_path, caplog):
    run = RunDir(tmp_path)
    _checkpoint(tmp_path, 2, _state(2))
    run.metrics.write_text(json.dumps({"step": 1}) + "\n")
    run.config.write_text("seed: 1\n")
    run.init_model.mkdir()
    (tmp_path / ".hydra").mkdir()
    with caplog.at_level(logging.WARNING):
        start = plan_resume(tmp_path, "never", 4)
    assert start.checkpoint is None and start.step == 0 and not start.complete
    (moved,) = run.earlier_runs.iterdir()
    assert sorted(p.name for p in moved.iterdir()) == ["checkpoints", "config.yaml", "metrics.jsonl"]
    assert not run.checkpoints.exists() and not run.metrics.exists()
    assert run.init_model.exists() and (tmp_path / ".hydra").exists()  # the starting model stays
    (line,) = [r.getMessage() for r in caplog.records]
    assert "checkpoints/" in line and str(moved) in line and "step 0" in line
    assert plan_resume(tmp_path, "auto", 4).checkpoint is None  # nothing mixed into a later resume


def test_claim_of_a_finished_run_says_so_and_keeps_its_config(tmp_path, caplog):
    RunDir(tmp_path).config.write_text("old\n")
    _checkpoint(tmp_path, 4, _state(4))
    with caplog.at_level(logging.INFO), claim_run_dir(tmp_path, "auto", 4, "new\n") as start:
        assert start.complete
    assert RunDir(tmp_path).config.read_text() == "old\n"
    assert any(
        "is complete" in r.getMessage() and "trainer.max_steps" in r.getMessage() for r in caplog.records
    )
    with claim_run_dir(tmp_path, "auto", 6, "new\n") as start:
        assert not start.complete and start.step == 4
    assert RunDir(tmp_path).config.read_text() == "new\n"


def test_holding_again_in_the_same_process_is_reentrant(tmp_path):
    """Hydra's callback takes the lock, then the entry point takes it again: one process, one run."""
    with hold_run_dir(tmp_path):
        with hold_run_dir(tmp_path):
            assert RunDir(tmp_path).lock_owner.read_text().startswith(f"pid {os.getpid()} ")
        assert RunDir(tmp_path).lock_owner.exists()  # still held by the outer block
    assert not RunDir(tmp_path).lock_owner.exists()


HOLD = "import sys, time; from openrs.run_dir import hold_run_dir\nwith hold_run_dir(sys.argv[1]):\n"


@pytest.mark.parametrize("how", ["kill -9", "exception"])
def test_the_lock_is_released_however_its_holder_ends(tmp_path, how):
    body = "    print('held', flush=True); time.sleep(60)" if how == "kill -9" else "    raise SystemExit(3)"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD + body, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    if how == "kill -9":
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(RunDirBusyError) as err, hold_run_dir(tmp_path):
            pass
        message = str(err.value)
        assert f"run dir {tmp_path} is in use by pid {proc.pid} " in message and "\n" not in message
        proc.kill()
    proc.wait(timeout=30)
    with hold_run_dir(tmp_path):  # the lock of a dead process is stale
        pass


def test_a_run_dir_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunDirError, match="is a file, not a folder"):
        RunDir(tmp_path / "file").check_usable()
    with pytest.raises(RunDirError, match="cannot create run dir"):
        RunDir(tmp_path / "file" / "run").check_usable()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_run_dir_is_one_line(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(RunDirError, match="is not writable"):
            RunDir(tmp_path).check_usable()
    finally:
        tmp_path.chmod(0o700)
