"""What the launcher hands its processes: the saved config they compose from, the command, the environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import open_dict

from openrs.config.store import to_typed
from openrs.launch import batch_sizes, needs_launcher, plan_layout
from openrs.launch.files import CHILD_CONFIG_NAME, training_command, write_launch_files
from openrs.launch.runner import CHILD_ENV, child_env


@pytest.mark.parametrize("experiment", ["tiny", "exp3"])
def test_launched_processes_compose_the_same_config(compose_cfg, tmp_path, experiment):
    _, cfg = compose_cfg(
        [f"+experiment={experiment}", "optimizer.lr=3e-6", "trainer.max_completion_length=2048"]
    )
    run_dir = tmp_path / "multirun" / "0"
    launch_dir = write_launch_files(
        cfg, plan_layout(cfg.hardware), batch_sizes(cfg.trainer, cfg.hardware), run_dir
    )
    command = training_command(launch_dir, run_dir)
    hydra_args = command[command.index("--config-name") + 2 :]
    with initialize_config_dir(config_dir=str(launch_dir), version_base="1.3"):
        child = compose(CHILD_CONFIG_NAME, overrides=hydra_args, return_hydra_config=True)
    assert child.hydra.run.dir == str(run_dir)
    assert child.hydra.output_subdir is None
    with open_dict(child):
        del child["hydra"]
    assert to_typed(child) == cfg


@pytest.mark.parametrize(
    "hardware, child, expected",
    [("cpu", False, False), ("cpu_ddp", False, True), ("cpu_ddp", True, False)],
)
def test_needs_launcher(compose_cfg, monkeypatch, hardware, child, expected):
    if child:
        monkeypatch.setenv(CHILD_ENV, "1")
    else:
        monkeypatch.delenv(CHILD_ENV, raising=False)
    _, cfg = compose_cfg([f"hardware={hardware}"])
    assert needs_launcher(cfg) is expected


def test_child_env_marks_children_and_hides_gpus_on_cpu(compose_cfg):
    _, cfg = compose_cfg(["hardware=cpu_ddp"])
    env = child_env(plan_layout(cfg.hardware), base={"PATH": "/bin", "CUDA_VISIBLE_DEVICES": "0"})
    assert env == {"PATH": "/bin", CHILD_ENV: "1", "CUDA_VISIBLE_DEVICES": ""}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose (its parent, init here, reaps it).
    state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signals are Linux's")
def test_launched_processes_stop_when_openrs_is_killed(tmp_path):
    """kill -9 of openrs alone (not its launched session) still stops what it launched."""
    pid_file = tmp_path / "child.pid"
    child = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    parent = (
        "import sys; from openrs.launch.runner import run_to_completion; "
        f"run_to_completion([sys.executable, '-c', {child!r}], dict(__import__('os').environ))"
    )
    proc = subprocess.Popen([sys.executable, "-c", parent])
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the launched process never started"
        time.sleep(0.1)
    child_pid = int(pid_file.read_text())
    assert _alive(child_pid)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = _alive(child_pid)
    if alive:
        os.kill(child_pid, signal.SIGKILL)
    assert not alive, "the launched process outlived a kill -9 of openrs"
