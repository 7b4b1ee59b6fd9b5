"""Builds TRL's GRPOTrainer for a run dir and runs it, resuming from the last checkpoint."""

from __future__ import annotations

import logging
from pathlib import Path

from openrs.training.metrics import MetricsJsonlCallback

log = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoints"


def last_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest `checkpoint-N` folder under the run dir, if any."""
    from transformers.trainer_utils import get_last_checkpoint

    ckpt_dir = Path(run_dir) / CHECKPOINT_DIR
    found = get_last_checkpoint(str(ckpt_dir)) if ckpt_dir.is_dir() else None
    return Path(found) if found else None


def checkpoint_step(checkpoint: Path | None) -> int:
    """The global step a `checkpoint-N` folder was saved at (0 for none)."""
    return int(checkpoint.name.rsplit("-", 1)[1]) if checkpoint else 0


def build_trainer(model, tokenizer, dataset, reward_funcs, grpo_config, run_dir, resume_step: int = 0):
    """TRL's GRPOTrainer with openrs's metrics callback attached."""
    from trl import GRPOTrainer

    return GRPOTrainer(
        model=model,
        reward_funcs=reward_funcs,
        args=grpo_config,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[MetricsJsonlCallback(run_dir, resume_step)],
    )


def train(trainer, resume_from: Path | None) -> dict:
    """Train (from `resume_from` when given) and return TRL's metrics; the last step is always saved."""
    if resume_from:
        log.info("resuming from %s", resume_from)
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    return dict(result.metrics)
