"""Builds TRL's GRPOTrainer for a run dir and runs it, resuming from the last checkpoint."""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

from openrs.errors import ConfigError

log = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoints"
TRAINER_STATE_FILE = "trainer_state.json"  # transformers.trainer.TRAINER_STATE_NAME


def last_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest complete `checkpoint-N` folder under the run dir, if any.

    A job killed while saving leaves a folder without `trainer_state.json` (Transformers writes it
    last); resuming from it would fail, so it is skipped for the one before.
    """
    ckpt_dir = Path(run_dir) / CHECKPOINT_DIR
    found = [p for p in ckpt_dir.glob("checkpoint-*") if p.is_dir() and p.name.rsplit("-", 1)[1].isdigit()]
    for path in sorted(found, key=checkpoint_step, reverse=True):
        if _is_complete(path):
            return path
        log.warning("skipping incomplete checkpoint %s (no readable trainer_state.json)", path)
    return None


def _is_complete(checkpoint: Path) -> bool:
    try:
        return "global_step" in json.loads((checkpoint / TRAINER_STATE_FILE).read_text())
    except (OSError, ValueError):
        return False


def checkpoint_step(checkpoint: Path | None) -> int:
    """The global step a `checkpoint-N` folder was saved at (0 for none)."""
    return int(checkpoint.name.rsplit("-", 1)[1]) if checkpoint else 0


def build_callbacks(specs: dict, run_dir: str | Path, resume_step: int = 0) -> list:
    """openrs's metrics callback plus the configured ones, each given the run dir."""
    from hydra.utils import instantiate

    from openrs.training.metrics import MetricsJsonlCallback  # imports transformers: not before preflight

    callbacks = [MetricsJsonlCallback(run_dir, resume_step)]
    for name, spec in specs.items():
        try:
            callbacks.append(instantiate(spec, run_dir=str(run_dir)))
        except Exception as err:  # instantiate wraps import and signature errors alike
            raise ConfigError(f"callbacks.{name}: cannot build {spec.get('_target_')}: {err}") from err
    return callbacks


def build_trainer(model, tokenizer, dataset, reward_funcs, grpo_config, callbacks: list):
    """TRL's GRPOTrainer for the policy `model` (a path or Hub id) with the given callbacks."""
    from trl import GRPOTrainer

    return GRPOTrainer(
        model=model,
        reward_funcs=reward_funcs,
        args=grpo_config,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=callbacks,
    )


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
