"""Checks that fail fast, in one line, before any model loads: sources, hardware, packages."""

from __future__ import annotations

import importlib.util
import logging
import os
import socket
from urllib.parse import urlparse

from openrs.config.schema import TrainConfig
from openrs.data.mix import resolve_sources
from openrs.data.sources import BUILTIN_PREFIX, check_builtin, is_local_path
from openrs.errors import ConfigError, EnvironmentUnavailableError

log = logging.getLogger(__name__)


def hub_reachable(timeout_s: float) -> tuple[bool, str]:
    """Whether the Hugging Face Hub answers a TCP connect within `timeout_s`, and its address."""
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    host = urlparse(endpoint).hostname or "huggingface.co"
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        return False, f"{host} (HF_HUB_OFFLINE is set)"
    try:
        socket.create_connection((host, 443), timeout=timeout_s).close()
    except OSError:
        return False, host
    return True, host


def _model_is_cached(repo_id: str, revision: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(repo_id, "config.json", revision=revision), str)


def check_sources(cfg: TrainConfig) -> None:
    """Local paths must exist; Hub ids need the Hub (or the local cache for models)."""
    needs_hub = []
    model = cfg.model
    model_path = model.init_checkpoint or (None if model.tiny is not None else model.name_or_path)
    if model_path is not None:
        if is_local_path(model_path):
            if not os.path.exists(os.path.expanduser(model_path)):
                raise ConfigError(f"model path not found: {model_path}")
        elif not _model_is_cached(model_path, model.revision):
            needs_hub.append(f"model '{model_path}'")
    for path in (spec.path for spec in resolve_sources(cfg.dataset)):
        if path.startswith(BUILTIN_PREFIX):
            check_builtin(path)
            continue
        if is_local_path(path):
            if not os.path.exists(os.path.expanduser(path)):
                raise ConfigError(f"dataset path not found: {path}")
        else:
            needs_hub.append(f"dataset '{path}'")
    if not needs_hub:
        return
    ok, host = hub_reachable(cfg.run.hub_timeout_s)
    if not ok:
        raise EnvironmentUnavailableError(
            f"cannot reach the Hugging Face Hub ({host}) to fetch {' and '.join(needs_hub)}; "
            "point them at local copies with model.name_or_path=/path/to/model and "
            "dataset.path=/path/to/train.jsonl, or run the offline default: python -m openrs.train"
        )


def gpu_count() -> int:
    """CUDA devices visible to this process (0 without torch CUDA)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def check_hardware(cfg: TrainConfig, available_gpus: int | None = None) -> None:
    """GPU-only options need GPUs; vLLM and DeepSpeed need their packages."""
    hw, model = cfg.hardware, cfg.model
    where = f"hardware={hw.name}"
    if hw.device == "cpu":
        if hw.bf16 or model.dtype == "bfloat16":
            raise EnvironmentUnavailableError(
                f"bf16 needs a CUDA GPU and {where} has none; use model.dtype=float32 hardware.bf16=false"
            )
        if model.attn_implementation == "flash_attention_2":
            raise EnvironmentUnavailableError(
                f"flash_attention_2 needs a CUDA GPU and {where} has none; use model.attn_implementation=sdpa"
            )
        if hw.use_vllm:
            raise EnvironmentUnavailableError(
                f"vLLM generation needs a CUDA GPU and {where} has none; set hardware.use_vllm=false"
            )
        return
    gpus = gpu_count() if available_gpus is None else available_gpus
    if gpus < hw.num_gpus:
        raise EnvironmentUnavailableError(
            f"{where} needs {hw.num_gpus} CUDA GPU(s) and this machine has {gpus}; "
            "choose hardware=cpu (with +experiment=tiny) or run on a GPU node"
        )
    for flag, package, what in [
        (hw.use_vllm, "vllm", "vLLM generation"),
        (model.attn_implementation == "flash_attention_2", "flash_attn", "flash_attention_2"),
        (hw.deepspeed is not None, "deepspeed", f"DeepSpeed {hw.deepspeed}"),
    ]:
        if flag and importlib.util.find_spec(package) is None:
            raise EnvironmentUnavailableError(
                f"{what} needs the '{package}' package: pip install -e '.[gpu]'"
            )


RESUME_MODES = ("auto", "never")


def check_launch(cfg: TrainConfig) -> None:
    """The process layout is possible and the batch sizes TRL and DeepSpeed check at start-up agree."""
    from openrs.launch import batch_sizes, is_launched_child, plan_layout

    if cfg.run.resume not in RESUME_MODES:
        raise ConfigError(f"run.resume={cfg.run.resume!r} is not one of {RESUME_MODES}")
    plan_layout(cfg.hardware)
    batch_sizes(cfg.trainer, cfg.hardware)
    if cfg.hardware.slurm_job and "SLURM_JOB_ID" not in os.environ and not is_launched_child():
        raise ConfigError(
            f"hardware={cfg.hardware.name} runs inside a SLURM job: submit it with "
            "`python -m openrs.train -m hydra/launcher=openrs_slurm ...`"
        )


def run_preflight(cfg: TrainConfig) -> None:
    """All checks that need no model: config arithmetic, sources (the Hub), then the machine."""
    from openrs.launch import is_launched_child

    check_launch(cfg)
    check_sources(cfg)
    if not is_launched_child():  # the launcher checked the machine; its processes see only their GPUs
        check_hardware(cfg)
