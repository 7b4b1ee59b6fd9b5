"""`hardware=cpu_server` is the paper's `local_4gpu` on CPU: at the same size, its hardware settings, launch
files, GRPO settings, environment and vLLM server command differ from local_4gpu's only in GPU-only parts
(CUDA devices, bf16 and gradient checkpointing, NCCL weight transfer). The run itself:
tests/integration/test_vllm_cpu_server.py."""

from __future__ import annotations

import dataclasses
import json

import yaml

from openrs.launch import batch_sizes, plan_layout
from openrs.launch.files import ACCELERATE_FILE, CHILD_CONFIG_NAME, DEEPSPEED_FILE, write_launch_files
from openrs.launch.runner import child_env
from openrs.launch.server import trl_vllm_serve_argv, vllm_cpu_serve_command
from openrs.training.grpo_args import grpo_config_kwargs

FOUR = ["0", "1", "2", "3"]
# cpu_server at local_4gpu's size and server port and memory share (on CPU: free ports and a share of RAM).
SAME_SIZE = [
    "hardware.num_training_processes=3",
    "hardware.vllm_server_port=8000",
    "hardware.vllm_gpu_memory_utilization=0.7",
]


def _both(compose_cfg):
    _, gpu = compose_cfg(["+experiment=exp2", "hardware=local_4gpu"])
    _, cpu = compose_cfg(["+experiment=exp2", "hardware=cpu_server", *SAME_SIZE])
    return gpu, cpu


def _differing(a: dict, b: dict) -> set[str]:
    return {key for key in a.keys() | b.keys() if key not in a or key not in b or a[key] != b[key]}


def _flat(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def test_hardware_settings_differ_only_in_gpu_parts(compose_cfg):
    gpu, cpu = _both(compose_cfg)
    assert _differing(dataclasses.asdict(gpu.hardware), dataclasses.asdict(cpu.hardware)) == {
        "name", "device", "num_gpus", "bf16", "gradient_checkpointing",
    }  # fmt: skip
    _, default = compose_cfg(["+experiment=tiny", "hardware=cpu_server"])
    assert default.hardware.vllm_server_port == 0  # free ports: jobs and CI share the machine


def test_layout_is_training_processes_plus_a_server_on_cpu(compose_cfg):
    gpu, cpu = _both(compose_cfg)
    gpu_layout, cpu_layout = plan_layout(gpu.hardware, FOUR), plan_layout(cpu.hardware, FOUR)
    assert gpu_layout.vllm_server and cpu_layout.vllm_server and cpu_layout.needs_launcher
    assert (gpu_layout.training_gpus, gpu_layout.vllm_gpu) == (("0", "1", "2"), "3")
    assert (cpu_layout.training_gpus, cpu_layout.vllm_gpu) == ((), None)
    same = {"num_processes", "deepspeed_stage", "num_machines", "vllm_server"}
    assert {key: getattr(gpu_layout, key) for key in same} == {key: getattr(cpu_layout, key) for key in same}
    # The launched processes: the same environment, but no CUDA device on CPU.
    gpu_env, cpu_env = child_env(gpu_layout, {}), child_env(cpu_layout, {})
    assert _differing(gpu_env, cpu_env) == {"CUDA_VISIBLE_DEVICES"} and cpu_env["CUDA_VISIBLE_DEVICES"] == ""


def test_launch_files_differ_only_in_gpu_parts(compose_cfg, tmp_path):
    files = {}  # the same launch dir for both: paths in the files are equal
    for name, cfg in zip(("gpu", "cpu"), _both(compose_cfg), strict=True):
        layout = plan_layout(cfg.hardware, FOUR)
        launch = write_launch_files(
            cfg, layout, batch_sizes(cfg.trainer, cfg.hardware), tmp_path / "run", tmp_path / "launch"
        )
        files[name] = {
            "accelerate": yaml.safe_load((launch / ACCELERATE_FILE).read_text()),
            "deepspeed": _flat(json.loads((launch / DEEPSPEED_FILE).read_text())),
            "config": _flat(yaml.safe_load((launch / f"{CHILD_CONFIG_NAME}.yaml").read_text())),
        }
    gpu, cpu = files["gpu"], files["cpu"]
    assert (
        _differing(gpu["accelerate"], cpu["accelerate"]) == {"gpu_ids"}
        and gpu["accelerate"]["gpu_ids"] == "0,1,2"
    )
    assert gpu["accelerate"]["distributed_type"] == "DEEPSPEED" and gpu["accelerate"]["num_processes"] == 3
    assert _differing(gpu["deepspeed"], cpu["deepspeed"]) == {"bf16.enabled"}
    assert _differing(gpu["config"], cpu["config"]) == {
        *(f"hardware.{key}" for key in ("name", "device", "num_gpus", "bf16", "gradient_checkpointing")),
        "callbacks.console.hardware", "callbacks.console.device",  # the banner's copies of the two above
    }  # fmt: skip


def test_grpo_settings_differ_only_in_gpu_parts(compose_cfg, tmp_path):
    gpu, cpu = _both(compose_cfg)
    gpu_kwargs = grpo_config_kwargs(gpu, tmp_path, [1.0, 1.0])
    cpu_kwargs = grpo_config_kwargs(cpu, tmp_path, [1.0, 1.0])
    assert _differing(gpu_kwargs, cpu_kwargs) == {
        "bf16", "gradient_checkpointing", "dataloader_pin_memory",
        "ddp_backend",  # gloo on CPU
        "vllm_weight_sync",  # NCCL on CUDA; on CPU the server reloads from a file
    }  # fmt: skip
    assert (gpu_kwargs["vllm_weight_sync"], cpu_kwargs["vllm_weight_sync"]) == ("nccl", "reload")
    assert gpu_kwargs["vllm_mode"] == cpu_kwargs["vllm_mode"] == "server"


def _options(argv: list[str]) -> dict[str, str | None]:
    """`--flag value` and bare `--flag` pairs of a command line."""
    options, key = {}, None
    for token in argv:
        if token.startswith("--"):
            key = token
            options[key] = None
        elif key is not None:
            options[key], key = token, None
    return options


def test_server_command_differs_only_in_gpu_parts(compose_cfg):
    gpu, cpu = _both(compose_cfg)
    gpu_argv = trl_vllm_serve_argv(gpu, "/models/policy")  # what `trl vllm-serve` runs on the vLLM GPU
    cpu_argv = vllm_cpu_serve_command(cpu, "/models/policy")
    assert gpu_argv[2:5] == ["vllm.entrypoints.cli.main", "serve", "/models/policy"]
    assert cpu_argv[2:5] == ["vllm.entrypoints.openai.api_server", "--model", "/models/policy"]
    gpu_options, cpu_options = _options(gpu_argv[5:]), _options(cpu_argv[5:])
    assert _differing(gpu_options, cpu_options) == {
        "--weight-transfer-config",  # NCCL, CUDA only
        "--worker-extension-cls",  # its CPU replacement: reload from a file
        "--no-enable-chunked-prefill",  # vLLM's CPU backend
    }
    assert json.loads(gpu_options["--weight-transfer-config"]) == {"backend": "nccl"}
    assert cpu_options["--worker-extension-cls"] == "openrs.launch.vllm_reload_worker.ReloadFromFile"
    assert cpu_options["--logprobs-mode"] == "processed_logprobs" and cpu_options["--max-logprobs"] == "-1"
