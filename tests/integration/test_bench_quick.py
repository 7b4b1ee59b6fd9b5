"""Every benchmark script still runs: each in its quick mode (tiny sizes, results to a temp dir), as CI does."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow
NEEDS_VLLM = {"vllm_cpu.py"}  # runs in .venv-vllm (launchers/setup_vllm_cpu.sh), with `pytest -m vllm`
HELPERS = {"quick.py"}
SCRIPTS = sorted(p.name for p in (REPO / "bench").glob("*.py") if p.name not in HELPERS)
GPU_QUICK = {  # bench/gpu's subcommands: their CPU paths (eval-throughput needs vLLM on a GPU: --help only)
    "device-run": [
        "--dry-run",
        "--steps",
        "1",
        "--completion-length",
        "8",
        "--eval-problems",
        "1",
        "--skip-zero2",
    ],
    "exp2-cost": ["--dry-run", "--gen-tokens-per-s", "7168", "--train-s-per-seq", "0.5"],
    "step-time": ["--cpu-smoke", "--steps", "1", "--completion-length", "8"],
    "eval-throughput": ["--help"],
}


def _run(command: list[str], tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OPENRS_WARM_MODEL_CACHE": str(tmp_path / "warm_models")}
    return subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, timeout=600
    )


def _check(out: subprocess.CompletedProcess) -> None:
    assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"


@pytest.mark.parametrize(
    "script",
    [pytest.param(s, marks=pytest.mark.vllm) if s in NEEDS_VLLM else s for s in SCRIPTS],
)
def test_every_bench_script_runs_in_quick_mode(script, tmp_path):
    if script in NEEDS_VLLM and importlib.util.find_spec("vllm") is None:
        pytest.skip("needs vLLM (.venv-vllm)")
    out = _run([sys.executable, f"bench/{script}", "--quick"], tmp_path)
    _check(out)
    assert "|" in out.stdout, "a quick run prints its results table"


@pytest.mark.parametrize("command", sorted(GPU_QUICK))
def test_gpu_benchmarks_run_their_cpu_paths(command, tmp_path):
    extra = ["--out-dir", str(tmp_path / "out")] if command in ("step-time", "device-run") else []
    _check(_run([sys.executable, "-m", "bench.gpu", command, *GPU_QUICK[command], *extra], tmp_path))


def test_every_script_has_a_quick_mode():
    """A new script is covered the moment it exists: it must take --quick (most through bench/quick.py)."""
    for script in SCRIPTS:
        text = (REPO / "bench" / script).read_text()
        assert "quick.parse_args(" in text or '"--quick"' in text, f"bench/{script} has no --quick"
