"""CPU threads are chosen by `hardware`, applied at process start and passed on to launched processes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from openrs import cpu_threads
from openrs.config.schema import HardwareConfig
from openrs.errors import ConfigError
from openrs.launch.layout import ProcessLayout
from openrs.launch.runner import child_env


@pytest.mark.parametrize(
    "hw, expected",
    [
        (
            HardwareConfig(torch_threads=1),
            {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
             "TOKENIZERS_PARALLELISM": "false"},
        ),
        (HardwareConfig(torch_threads=None, tokenizers_parallelism=True), {"TOKENIZERS_PARALLELISM": "true"}),
    ],
)  # fmt: skip
def test_thread_env_carries_the_chosen_settings(hw, expected):
    assert cpu_threads.thread_env(hw) == expected


@pytest.mark.parametrize(
    "hw, key",
    [
        (HardwareConfig(torch_threads=0), "hardware.torch_threads=0"),
        (HardwareConfig(dataloader_num_workers=-1), "hardware.dataloader_num_workers=-1"),
    ],
)
def test_bad_values_fail_in_one_line_naming_the_key(hw, key):
    with pytest.raises(ConfigError, match=key):
        cpu_threads.thread_env(hw)


APPLY = """
import json, os, sys
from openrs.config.schema import HardwareConfig
from openrs.cpu_threads import apply_cpu_threads
import torch
threads = apply_cpu_threads(HardwareConfig(torch_threads=int(sys.argv[1])))
print(json.dumps([threads, torch.get_num_threads(), torch.get_num_interop_threads(), os.environ["OMP_NUM_THREADS"]]))
"""


@pytest.mark.parametrize("threads", [1, 3])
def test_apply_sets_torch_threads_and_the_environment(threads):
    out = subprocess.run(
        [sys.executable, "-c", APPLY, str(threads)], capture_output=True, text=True, check=True, timeout=300
    )
    assert json.loads(out.stdout.splitlines()[-1]) == [threads, threads, threads, str(threads)]


def test_launched_processes_get_the_threads_this_process_chose(monkeypatch):
    monkeypatch.setattr(
        cpu_threads, "_applied_env", {"OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    )
    env = child_env(ProcessLayout(2, (), None, None), base={"OMP_NUM_THREADS": "8", "PATH": "/bin"})
    assert env["OMP_NUM_THREADS"] == "1" and env["TOKENIZERS_PARALLELISM"] == "false"
    assert env["PATH"] == "/bin" and env["OPENRS_LAUNCHED"] == "1"


def test_dataloader_workers_reach_grpo_config(compose_cfg):
    from openrs.training.grpo_args import grpo_config_kwargs

    for override, workers in (([], 0), (["hardware.dataloader_num_workers=2"], 2)):
        _, cfg = compose_cfg(["+experiment=tiny", *override])
        assert grpo_config_kwargs(cfg, "out", [1.0, 1.0])["dataloader_num_workers"] == workers
