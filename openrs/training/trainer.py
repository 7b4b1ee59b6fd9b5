"""Builds TRL's GRPOTrainer for a run dir and runs it, resuming from the last checkpoint."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from openrs.errors import ConfigError

log = logging.getLogger(__name__)


def build_callbacks(specs: dict, run_dir: str | Path, resume_step: int = 0) -> list:
    """openrs's metrics callback plus the configured ones, each given the run dir."""
    from hydra.utils import instantiate

    from openrs.training.metrics import MetricsJsonlCallback  # imports transformers: not before preflight

    callbacks = [MetricsJsonlCallback(run_dir, resume_step)]
    for name, spec in specs.items():
        if spec is None:  # turned off with callbacks.<name>=null
            continue
        try:
            callbacks.append(instantiate(spec, run_dir=str(run_dir)))
        except Exception as err:  # instantiate wraps import and signature errors alike
            raise ConfigError(f"callbacks.{name}: cannot build {spec.get('_target_')}: {err}") from err
    return callbacks


def build_trainer(model, tokenizer, dataset, reward_funcs, grpo_config, callbacks: list):
    """TRL's GRPOTrainer (with openrs's paper options) for the policy `model` (a path or Hub id)."""
    from openrs.training.console import use_console
    from openrs.training.paper_trainer import OpenRSGRPOTrainer

    trainer = OpenRSGRPOTrainer(
        model=model,
        reward_funcs=reward_funcs,
        args=grpo_config,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=callbacks,
    )
    use_console(trainer)  # openrs's one line per step instead of TRL's progress bar and raw dict
    if grpo_config.use_vllm:  # vLLM on CPU: weights through vLLM's reload path (TRL's sync fails there)
        from openrs.training.vllm_cpu_sync import use_cpu_weight_sync

        use_cpu_weight_sync(trainer)
    return trainer


def train(trainer, resume_from: Path | None) -> dict:
    """Train (from `resume_from` when given) and return TRL's metrics; the last step is always saved."""
    if resume_from:
        log.info("resuming from %s", resume_from)
        if trainer.args.world_size > 1 and trainer.args.device.type == "cpu":
            _allow_indexed_cpu_map_location()
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    return dict(result.metrics)


@functools.cache  # register once per process
def _allow_indexed_cpu_map_location() -> None:
    """Let torch.load restore storages to `cpu:N`, the device accelerate gives each CPU process.

    Transformers loads the optimizer state with map_location=args.device when world_size > 1, and
    torch knows only "cpu", so a multi-process CPU run (hardware=cpu_ddp) could not resume without it.
    """
    import torch.serialization

    torch.serialization.register_package(
        100, lambda storage: None, lambda storage, location: storage if location.startswith("cpu:") else None
    )
