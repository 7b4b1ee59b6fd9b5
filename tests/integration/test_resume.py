"""Runs that never lose anything: a killed run resumes as if never stopped, a finished run stays finished,
a broken checkpoint falls back to the one before, and one run at a time holds a run dir.

The unit-level cases (which checkpoint, trimming metrics, the lock itself) are in tests/unit/run_dir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openrs.run_dir import RunDir, checkpoint_problem, last_checkpoint, read_metrics
from tests.integration.cli_helpers import ALARMING_NOISE

REPO = Path(__file__).resolve().parents[2]
TINY = ["+experiment=tiny", "trainer.max_steps=4", "trainer.save_steps=2"]
# Metrics that depend on the weights, optimiser, scheduler, token count and sampling RNG.
REPRODUCED = ("loss", "learning_rate", "num_tokens", "completions/mean_length", "entropy", "kl")


class _State:
    def __init__(self, step: int, main: bool = True):
        self.global_step, self.epoch, self.is_world_process_zero = step, 0.0, main


def test_metrics_callback_logs_each_step_once(tmp_path):
    from openrs.training.metrics import MetricsJsonlCallback

    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s}) + "\n" for s in (1, 2, 3)))
    # Another process of the run must not touch the file.
    MetricsJsonlCallback(tmp_path, resume_step=2).on_train_begin(None, _State(2, main=False), None)
    assert len(read_metrics(path)) == 3
    callback = MetricsJsonlCallback(tmp_path, resume_step=2)
    callback.on_train_begin(None, _State(2), None)
    for step in (3, 3, 4):  # a repeated step is not written twice
        callback.on_log(None, _State(step), None, logs={"loss": 0.5})
    assert [row["step"] for row in read_metrics(path)] == [1, 2, 3, 4]


def _train(run_dir: Path, *overrides: str) -> subprocess.Popen:
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline")
    command = [sys.executable, "-m", "openrs.train", f"hydra.run.dir={run_dir}", *TINY, *overrides]
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _finish(proc: subprocess.Popen) -> str:
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, output[-3000:]
    return output


def _steps(run_dir: Path) -> list[int]:
    return [row["step"] for row in read_metrics(run_dir / "metrics.jsonl")]


@pytest.mark.slow
def test_killed_run_resumes_from_its_last_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    proc = _train(run_dir)
    # Kill it as a preempted job dies: after checkpoint-2 and after logging step 3, before checkpoint-4.
    deadline = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline:
        if last_checkpoint(run_dir) is not None and 3 in _steps(run_dir):
            proc.kill()
            break
        time.sleep(0.05)
    proc.communicate(timeout=60)
    assert proc.returncode == -9, "the run finished before it could be killed part-way"
    resume_from = last_checkpoint(run_dir)
    assert resume_from is not None and resume_from.name == "checkpoint-2"
    assert not (run_dir / "summary.json").exists()
    step3_before_kill = next(row for row in read_metrics(run_dir / "metrics.jsonl") if row["step"] == 3)

    _finish(_train(run_dir))
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["resumed_from"] == str(resume_from)
    assert summary["global_step"] == 4
    assert _steps(run_dir) == [1, 2, 3, 4]  # step 3 logged before the kill is logged once, by the resumed run
    # Step 3 again from checkpoint-2 is step 3 as first trained: weights, optimizer, scheduler, RNG restored.
    step3 = next(row for row in read_metrics(run_dir / "metrics.jsonl") if row["step"] == 3)
    for key in REPRODUCED:
        assert step3[key] == pytest.approx(step3_before_kill[key], rel=1e-6, abs=1e-9), key


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A tiny run trained to its end (checkpoint-2 and checkpoint-4); tests copy it before changing it."""
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    _finish(_train(run_dir))
    return run_dir


def _copy(run_dir: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(run_dir, tmp_path / "run"))


@pytest.mark.slow
def test_a_finished_run_stays_finished(finished_run):
    checkpoint = RunDir(finished_run).checkpoint(4)
    saved_at = (checkpoint / "model.safetensors").stat().st_mtime_ns
    output = _finish(_train(finished_run))
    assert f"run dir {finished_run} is complete: checkpoint-4 reached step 4" in output
    assert "resuming from" not in output and "raise trainer.max_steps to continue it" in output
    assert _steps(finished_run) == [1, 2, 3, 4]
    assert sorted(p.name for p in RunDir(finished_run).checkpoints.glob("checkpoint-*")) == [
        "checkpoint-2", "checkpoint-4",
    ]  # fmt: skip
    assert (checkpoint / "model.safetensors").stat().st_mtime_ns == saved_at


def _planned_rates(total: int) -> list[float]:
    """The learning rate of each step of a tiny run planned for `total` steps (adamw_paper's schedule)."""
    import math

    import torch
    from transformers import get_scheduler

    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-6)
    schedule = get_scheduler(
        "cosine_with_min_lr",
        optimizer,
        math.ceil(0.1 * total),
        total,
        scheduler_specific_kwargs={"min_lr_rate": 0.1},
    )
    return [1e-6 * schedule.lr_lambdas[0](step) for step in range(total)]


@pytest.mark.slow
def test_raising_max_steps_continues_a_finished_run(finished_run, tmp_path):
    run_dir = _copy(finished_run, tmp_path)
    output = _finish(_train(run_dir, "trainer.max_steps=6"))
    assert f"resuming from {RunDir(run_dir).checkpoint(4)}" in output
    assert "resuming from step 4 with trainer.max_steps 4 -> 6 (cannot change what is trained" in output
    assert _steps(run_dir) == [1, 2, 3, 4, 5, 6]
    assert json.loads(RunDir(run_dir).summary.read_text())["global_step"] == 6
    # The added steps follow the schedule for 6 steps from step 4 (not the 4-step schedule's last rate).
    rates = [row["learning_rate"] for row in read_metrics(RunDir(run_dir).metrics)]
    assert rates[:4] == pytest.approx(_planned_rates(4), rel=1e-9, abs=1e-15)
    assert rates[4:] == pytest.approx(_planned_rates(6)[4:], rel=1e-9, abs=1e-15)
    history = [json.loads(line) for line in RunDir(run_dir).config_history.read_text().splitlines()]
    assert [(r["event"], r["step"], r["changed"]) for r in history] == [
        ("start", 0, {}), ("resume", 4, {"trainer.max_steps": [4, 6]}),
    ]  # fmt: skip
    assert "max_steps: 6" in RunDir(run_dir).config.read_text()


@pytest.mark.slow
def test_a_resume_that_would_change_what_was_trained_is_refused(finished_run, tmp_path):
    run_dir = _copy(finished_run, tmp_path)
    config, overrides = (
        RunDir(run_dir).config.read_text(),
        (run_dir / ".hydra" / "overrides.yaml").read_text(),
    )
    proc = _train(
        run_dir, "trainer.max_steps=6", "optimizer.lr=0.5", "seed=7", "model.tiny.num_hidden_layers=3"
    )
    output, _ = proc.communicate(timeout=300)
    lines = [line for line in output.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1, output[-3000:]
    assert (
        "ERROR" in lines[0]
        and f"cannot resume {run_dir} from checkpoint-4 with a different config: " in lines[0]
    )
    for change in ("model.tiny.num_hidden_layers 2 -> 3", "optimizer.lr 1e-06 -> 0.5", "seed 42 -> 7"):
        assert change in lines[0]
    assert "trainer.max_steps" not in lines[0] and "run.resume=never" in lines[0]
    # The run dir still records the run that happened.
    assert RunDir(run_dir).config.read_text() == config
    assert (run_dir / ".hydra" / "overrides.yaml").read_text() == overrides
    assert _steps(run_dir) == [1, 2, 3, 4]


@pytest.mark.slow
def test_a_rerun_from_step_0_sets_the_earlier_runs_results_aside(finished_run, tmp_path):
    import shutil

    run_dir = _copy(finished_run, tmp_path)
    shutil.rmtree(RunDir(run_dir).checkpoints)
    earlier_summary = RunDir(run_dir).summary.read_text()
    output = _finish(_train(run_dir))
    (earlier,) = RunDir(run_dir).earlier_runs.iterdir()
    assert f"{run_dir} has no checkpoint to resume from: moved the earlier run's config.yaml" in output
    assert str(earlier) in output
    assert (earlier / "summary.json").read_text() == earlier_summary
    assert [row["step"] for row in read_metrics(earlier / "metrics.jsonl")] == [1, 2, 3, 4]
    assert _steps(run_dir) == [1, 2, 3, 4]
    assert json.loads(RunDir(run_dir).summary.read_text())["resumed_from"] is None


def _interrupt(run_dir: Path, signum: int, after_step: int, *overrides: str) -> tuple[int, str]:
    """Train in a session of its own (as a terminal's job), send `signum` to it once `after_step` is logged."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline")
    command = [sys.executable, "-m", "openrs.train", f"hydra.run.dir={run_dir}", *TINY, *overrides]
    proc = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline:
        if after_step in _steps(run_dir):
            os.killpg(proc.pid, signum)
            break
        time.sleep(0.05)
    output, _ = proc.communicate(timeout=120)
    return proc.returncode, output


@pytest.mark.slow
def test_ctrl_c_and_sigterm_stop_in_one_line_and_the_run_resumes(tmp_path):
    import signal

    from openrs.run_dir import checkpoint_step, trim_metrics

    run_dir = tmp_path / "run"
    for signum, code, after_step in ((signal.SIGINT, 130, 3), (signal.SIGTERM, 143, None)):
        if after_step is None:  # two steps into the resumed run
            resumed = checkpoint_step(last_checkpoint(run_dir))
            trim_metrics(RunDir(run_dir).metrics, resumed)
            after_step = resumed + 2
        returncode, output = _interrupt(run_dir, signum, after_step, "trainer.max_steps=40")
        assert returncode == code, output[-3000:]
        assert "Traceback" not in output and "KeyboardInterrupt" not in output, output[-3000:]
        (line,) = [line for line in output.splitlines() if "interrupted" in line]
        step, saved = max(_steps(run_dir)), checkpoint_step(last_checkpoint(run_dir))
        assert f"interrupted at step {step}; the last checkpoint is step {saved}; rerun the same command with " \
            f"hydra.run.dir={run_dir} to resume" in line  # fmt: skip
    _finish(_train(run_dir, "trainer.max_steps=8"))
    assert _steps(run_dir) == list(range(1, 9))


def _mount_tmpfs(path: Path, size_kib: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    command = ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(path)]
    return subprocess.run(command, capture_output=True).returncode == 0


@pytest.mark.slow
def test_a_full_disk_while_saving_is_one_line_and_the_run_resumes_once_space_is_freed(finished_run, tmp_path):
    def kib(folder: Path) -> int:  # as tmpfs counts: 4 KiB pages
        return sum(-(-p.stat().st_size // 4096) * 4 for p in folder.rglob("*") if p.is_file())

    room = kib(RunDir(finished_run).checkpoint(2)) * 3 // 2 + kib(RunDir(finished_run).init_model) + 256
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, room):  # room for the starting model and checkpoint-2, not checkpoint-4
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        run_dir = disk / "run"
        proc = _train(run_dir)
        output, _ = proc.communicate(timeout=600)
        errors = [line for line in output.splitlines() if "ERROR" in line]
        assert proc.returncode == 2 and len(errors) == 1, output[-3000:]
        assert "Traceback" not in output
        checkpoints = RunDir(run_dir).checkpoints
        assert f"cannot save {checkpoints / 'checkpoint-4'}: no space left on the device" in errors[0]
        assert "checkpoint-2 is untouched" in errors[0] and f"hydra.run.dir={run_dir} to resume" in errors[0]
        assert last_checkpoint(run_dir) == RunDir(run_dir).checkpoint(2)
        assert checkpoint_problem(RunDir(run_dir).checkpoint(2)) is None
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)  # space freed
        output = _finish(_train(run_dir))
        assert f"resuming from {RunDir(run_dir).checkpoint(2)}" in output
        assert _steps(run_dir) == [1, 2, 3, 4]
        assert checkpoint_problem(RunDir(run_dir).checkpoint(4)) is None
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


@pytest.mark.slow
def test_a_resumed_run_holds_the_checkpoints_tied_head(finished_run, tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    from tests.integration.head_probe import HEAD_FILE

    run_dir = _copy(finished_run, tmp_path)
    weights = RunDir(run_dir).checkpoint(4) / "model.safetensors"
    saved = load_file(weights)
    assert "lm_head.weight" not in saved  # tied: saved once, as the embedding
    # Shifted, so that a head equal to it can only have been loaded from this checkpoint.
    saved["model.embed_tokens.weight"] += 0.5
    save_file(saved, weights, metadata={"format": "pt"})
    probe = "+callbacks.head_probe={_target_:tests.integration.head_probe.HeadProbe}"
    output = _finish(_train(run_dir, "trainer.max_steps=5", probe))
    assert f"resuming from {RunDir(run_dir).checkpoint(4)}" in output
    head = load_file(run_dir / HEAD_FILE)
    assert torch.equal(head["lm_head"], saved["model.embed_tokens.weight"]) and head["shared"].item() == 1
    assert not [noise for noise in ALARMING_NOISE if noise in output], output[-3000:]


@pytest.mark.slow
def test_resume_never_moves_the_earlier_run_aside(finished_run, tmp_path):
    run_dir = _copy(finished_run, tmp_path)
    output = _finish(_train(run_dir, "run.resume=never", "trainer.max_steps=2"))
    (earlier,) = RunDir(run_dir).earlier_runs.iterdir()
    assert "run.resume=never: moved the earlier run's checkpoints/, config.yaml" in output
    assert str(earlier) in output
    assert sorted(p.name for p in (earlier / "checkpoints").glob("checkpoint-*")) == [
        "checkpoint-2", "checkpoint-4",
    ]  # fmt: skip
    assert [row["step"] for row in read_metrics(earlier / "metrics.jsonl")] == [1, 2, 3, 4]
    assert _steps(run_dir) == [1, 2]  # this run's steps only, nothing of the earlier one mixed in
    assert last_checkpoint(run_dir) == RunDir(run_dir).checkpoint(2)


@pytest.mark.slow
def test_a_truncated_checkpoint_falls_back_to_the_one_before(finished_run, tmp_path):
    run_dir = _copy(finished_run, tmp_path)
    optimizer = RunDir(run_dir).checkpoint(4) / "optimizer.pt"
    optimizer.write_bytes(optimizer.read_bytes()[:1000])  # a full disk while saving
    with RunDir(run_dir).metrics.open("a") as fh:
        fh.write('{"step": 5, "lo')  # and a half-written last line
    output = _finish(_train(run_dir))
    assert "cannot resume from" in output and "checkpoint-4: optimizer.pt is truncated" in output
    assert "resuming from checkpoint-2 instead" in output and "weights_only" not in output
    assert _steps(run_dir) == [1, 2, 3, 4]
    assert checkpoint_problem(RunDir(run_dir).checkpoint(4)) is None  # saved again, whole


@pytest.mark.slow
def test_a_second_run_into_the_same_dir_is_refused(tmp_path):
    run_dir = tmp_path / "run"
    first = _train(run_dir)
    deadline = time.monotonic() + 300
    while not RunDir(run_dir).lock_owner.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    second = _train(run_dir, "seed=7")
    output, _ = second.communicate(timeout=300)
    lines = [line for line in output.splitlines() if line.strip()]
    assert second.returncode == 2, output[-3000:]
    assert len(lines) == 1 and f"run dir {run_dir} is in use by pid {first.pid} " in lines[0], lines
    _finish(first)
    assert _steps(run_dir) == [1, 2, 3, 4]  # each step logged once
    # Refused before Hydra wrote anything: the first run's overrides and config are its own.
    assert "seed=7" not in (run_dir / ".hydra" / "overrides.yaml").read_text()
    assert "seed: 42" in RunDir(run_dir).config.read_text()


def test_two_default_run_dirs_started_together_differ():
    command = [sys.executable, "-m", "openrs.train", "--cfg", "hydra", "--resolve"]
    procs = [subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    dirs = []
    for proc in procs:
        output, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        dirs.append(
            next(line.split("dir:")[1].strip() for line in output.splitlines() if " dir: outputs/" in line)
        )
    assert dirs[0] != dirs[1]
