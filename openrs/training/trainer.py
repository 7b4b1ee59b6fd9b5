"""Builds TRL's GRPOTrainer for a run dir and runs it, resuming from the last checkpoint."""

from __future__ import annotations

import functools
import logging
import warnings
from pathlib import Path

from openrs.errors import ConfigError
from openrs.run_dir.layout import CHECKPOINT_PREFIX
from openrs.run_dir.writes import RunWriteError, checkpoint_write_error, write_failure

log = logging.getLogger(__name__)


def build_callbacks(specs: dict, run_dir: str | Path, resume_step: int = 0, validation=None) -> list:
    """openrs's metrics callback, validation when `validation.every` > 0, and the configured ones (given the run dir)."""
    from hydra.utils import instantiate

    from openrs.training.metrics import MetricsJsonlCallback  # imports transformers: not before preflight
    from openrs.training.schedule import ResumedScheduleCallback

    callbacks = [MetricsJsonlCallback(run_dir, resume_step), ResumedScheduleCallback()]
    if validation is not None and validation.every:
        from openrs.training.validation import ValidationCallback

        callbacks.append(ValidationCallback(validation, run_dir))
    for name, spec in specs.items():
        if spec is None:  # turned off with callbacks.<name>=null
            continue
        try:
            callbacks.append(instantiate(spec, run_dir=str(run_dir)))
        except Exception as err:  # instantiate wraps import and signature errors alike
            raise ConfigError(f"callbacks.{name}: cannot build {spec.get('_target_')}: {err}") from err
    return callbacks


# A deprecation notice of torch 2.13 for an API DeepSpeed 0.19's ZeRO-2/3 steps call; the call still does
# what it did (the same all-gather), so every ZeRO run printed it once per process for nothing.
DEEPSPEED_ALL_GATHER_NOTICE = r"`torch\.distributed\.all_gather_into_tensor` is deprecated"


def build_trainer(model, tokenizer, dataset, reward_funcs, grpo_config, callbacks: list):
    """TRL's GRPOTrainer (with openrs's paper options) for the policy `model` (a path or Hub id)."""
    warnings.filterwarnings("ignore", message=DEEPSPEED_ALL_GATHER_NOTICE, category=FutureWarning)
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
    for callback in callbacks:  # validation generates and logs through the trainer
        if hasattr(callback, "attach"):
            callback.attach(trainer)
    _explain_failed_saves(trainer)
    if grpo_config.use_vllm:  # vLLM on CPU: weights through vLLM's reload path (TRL's sync fails there)
        from openrs.training.vllm_cpu_sync import use_cpu_weight_sync

        use_cpu_weight_sync(trainer)
    return trainer


def train(trainer, resume_from: Path | None) -> dict:
    """Train (from `resume_from` when given) and return TRL's metrics; the last step is always saved."""
    if resume_from:
        log.info("resuming from %s", resume_from)
        from openrs.models.tied_weights import quiet_missing_tied_keys

        quiet_missing_tied_keys(trainer.model)  # the tied head is loaded with the embedding it shares
        if trainer.args.world_size > 1 and trainer.args.device.type == "cpu":
            _allow_indexed_cpu_map_location()
    try:
        result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    except OSError as err:  # e.g. metrics.jsonl on a full disk
        cause = write_failure(err.filename or trainer.args.output_dir, err)
        if cause is None:
            raise
        raise RunWriteError(f"cannot write {err.filename or trainer.args.output_dir}: {cause}") from err
    return dict(result.metrics)


def close_process_group() -> None:
    """End a finished multi-process run's process group before Python exits (a lone process has none).

    Left to the interpreter's teardown, gloo's worker threads can outlive it and abort a rank that had
    finished ("terminate called without an active exception", SIGABRT; pytorch/pytorch#190489): a
    ZeRO-2 run failed so in CI after training. Only after success: a rank that raised may leave others
    in a collective, where destroying the group could hang.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _explain_failed_saves(trainer) -> None:
    """A checkpoint that cannot be written ends training in one line naming it and why (full disk, ...)."""
    save = trainer._save_checkpoint

    def save_checkpoint(*args, **kwargs):
        try:
            return save(*args, **kwargs)
        except Exception as err:  # torch and safetensors raise RuntimeError-like errors without an errno
            checkpoint = Path(trainer.args.output_dir) / f"{CHECKPOINT_PREFIX}{trainer.state.global_step}"
            cause = write_failure(checkpoint, err)
            if cause is None:
                raise
            raise checkpoint_write_error(checkpoint, cause) from err

    trainer._save_checkpoint = save_checkpoint


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
