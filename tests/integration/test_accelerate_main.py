"""openrs's `accelerate launch`: a failed training process ends the launch in one line naming it, not a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.integration.cli_helpers import REPO

# What openrs writes for 2 processes without DeepSpeed (openrs.launch.files); torch elastic starts them, also on CPU.
ACCELERATE_YAML = """compute_environment: LOCAL_MACHINE
distributed_type: MULTI_GPU
num_machines: 1
machine_rank: 0
num_processes: 2
main_process_port: 0
rdzv_backend: static
same_network: true
use_cpu: false
mixed_precision: "no"
"""
# Process 1 ends as told; process 0 succeeds.
SCRIPT = """import os, signal, sys
if os.environ["RANK"] == "1":
    if sys.argv[1] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    sys.exit(int(sys.argv[1]))
"""


def _launch(tmp_path, how: str) -> subprocess.CompletedProcess:
    (tmp_path / "accelerate.yaml").write_text(ACCELERATE_YAML)
    (tmp_path / "train.py").write_text(SCRIPT)
    command = [
        sys.executable,
        "-m",
        "openrs.launch.accelerate_main",
        "--config_file",
        str(tmp_path / "accelerate.yaml"),
    ]
    return subprocess.run(
        [*command, str(tmp_path / "train.py"), how],
        cwd=REPO, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("how", "line"),
    [("3", "training process 1 exited with code 3"), ("kill", "training process 1 was killed by SIGKILL")],
)
def test_a_failed_process_is_named_in_one_line(tmp_path, how, line):
    result = _launch(tmp_path, how)
    assert result.returncode == 1
    assert line in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "ChildFailedError" not in result.stderr, result.stderr[-3000:]


def test_a_launch_that_succeeds_says_nothing_more(tmp_path):
    result = _launch(tmp_path, "0")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "training process" not in result.stderr
