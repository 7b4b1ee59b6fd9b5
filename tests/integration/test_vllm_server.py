"""The server layout's orchestration with a real vLLM server on CPU (vllm-cpu): start, wait for health
(logging progress), TRL's VLLMClient generates through it, stop; nothing is left behind, also when the
run fails or is interrupted.

Runs in the venv of launchers/setup_vllm_cpu.sh (`pytest -m vllm`); skipped where vLLM is not installed.
Training through the server on CPU (weights through a file): tests/integration/test_vllm_cpu_server.py.
"""

from __future__ import annotations

import json
import os
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

# A launcher as openrs runs one: the server under managed_server, SIGTERM turned into an orderly exit.
LAUNCHER = """
import json, logging, sys, time
from openrs.launch.runner import _terminate_on_sigterm
from openrs.launch.server import VLLM_CPU_SERVER_ENV, managed_server
from trl.generation.vllm_client import VLLMClient

logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
command, url, log_path, base_url, state_file, fail = json.loads(sys.argv[1])
env = dict(__import__("os").environ, **VLLM_CPU_SERVER_ENV)
with _terminate_on_sigterm(), managed_server(command, url, __import__("pathlib").Path(log_path), 600, env) as proc:
    client = VLLMClient(base_url=base_url, connection_timeout=30)
    out = client.generate(prompts=[[10, 20, 30, 40]], n=2, max_tokens=8, temperature=1.0)
    with open(state_file, "w") as f:
        json.dump({"server_pid": proc.pid, "completions": out["completion_ids"]}, f)
    if fail:
        raise RuntimeError("training failed")
    time.sleep(600)  # training; the test interrupts it
"""


def _tree(pid: int) -> list[int]:
    try:
        root = psutil.Process(pid)
        return [root.pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.NoSuchProcess:
        return []


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.fixture(scope="module")
def server_args(compose_cfg, tmp_path_factory):
    from openrs.launch.server import free_port, health_url, vllm_cpu_serve_command
    from openrs.models.tiny import build_tiny_qwen2, build_tiny_tokenizer

    tmp = tmp_path_factory.mktemp("server")
    _, cfg = compose_cfg(
        [
            "+experiment=tiny",
            "hardware=cpu_vllm",
            "hardware.vllm_mode=server",
            f"hardware.vllm_server_port={free_port()}",
        ]
    )
    tokenizer = build_tiny_tokenizer(cfg.model.tiny.tokenizer_vocab_size)
    build_tiny_qwen2(cfg.model.tiny, tokenizer, cfg.seed).save_pretrained(tmp / "model")
    tokenizer.save_pretrained(tmp / "model")
    url = health_url(cfg)
    base_url = url.removesuffix("/health")
    return tmp, [vllm_cpu_serve_command(cfg, str(tmp / "model")), url, str(tmp / "vllm.log"), base_url]


@pytest.mark.parametrize("how", ["interrupted", "failed"])
def test_server_generates_for_trl_and_is_stopped_with_all_its_processes(server_args, how):
    tmp, args = server_args
    state_file = tmp / f"{how}.json"
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, json.dumps([*args, str(state_file), how == "failed"])],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, HF_HUB_OFFLINE="1"),
    )  # fmt: skip
    deadline, seen = time.monotonic() + 600, []
    while launcher.poll() is None and not state_file.exists() and time.monotonic() < deadline:
        seen = _tree(launcher.pid) or seen  # the server and its engine core, while they run
        time.sleep(0.5)
    assert state_file.exists(), "the server never generated"
    state = json.loads(state_file.read_text())
    assert len(state["completions"]) == 2 and all(len(c) == 8 for c in state["completions"])
    seen = sorted(set(seen) | set(_tree(launcher.pid)))
    assert state["server_pid"] in seen and len(seen) >= 3  # launcher, server, engine core

    if how == "interrupted":
        launcher.send_signal(signal.SIGTERM)
    output, _ = launcher.communicate(timeout=120)
    assert launcher.returncode != 0
    assert "waiting for" in output and "server up at" in output  # progress while the model loads
    assert not _alive(seen), f"left behind: {_alive(seen)}"
