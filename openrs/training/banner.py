"""What a training run says first, before any model loads or warms up: experiment, model, data, hardware,
steps, run dir, and what is about to happen with roughly how long it takes.

Importable without torch or transformers, so that the banner is the run's first line; `start_process`
then sets the process up (CPU threads, progress bars), which imports them.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from openrs.config.schema import TrainConfig

log = logging.getLogger("openrs.train")

BUILTIN_PREFIX = "builtin:"
# Rough seconds on one idle thread of this project's 2-core x86 machine (bench/threads_results.md), for a
# model of size 1 (hidden size x layers x intermediate size relative to the micro reproduction's):
# a warm-up step of 32 demonstrations; a GRPO step per completion token, a part that does not grow with
# the batch (one decoding step) and a part that does (its share of the forward and backward passes).
REFERENCE_SIZE = 128 * 2 * 512
WARMUP_STEP_S = 0.08
GRPO_TOKEN_S = 0.0077
GRPO_TOKEN_COMPLETION_S = 4.1e-5
# Processes runnable per CPU beyond which the machine is busy (1-minute load average), and the estimate long.
BUSY_LOAD_PER_CPU = 0.75


def _plural(count: int, noun: str, suffix: str = "s") -> str:
    return f"{count} {noun}{suffix if count != 1 else ''}"


def _duration(seconds: float) -> str:
    """`40 s`, `3 min`, `2.5 h`."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def threads_text(cfg: TrainConfig) -> str:
    """`1 CPU thread each` (or torch's default), as hardware.torch_threads chose."""
    threads = cfg.hardware.torch_threads
    return f"{_plural(threads, 'CPU thread')} each" if threads else "torch's default CPU threads"


def data_text(cfg: TrainConfig) -> str:
    """The data's name and source, with its size when generated, and completions per prompt."""
    data = cfg.dataset
    if data.mix:
        source = "a mix of " + ", ".join(sorted(data.mix))
    elif data.path and data.path.startswith(BUILTIN_PREFIX) and "." in data.path.removeprefix(BUILTIN_PREFIX):
        rows = min(data.num_rows, data.max_rows or data.num_rows)
        source = f"up to {rows} prompts from {data.path}"
    else:
        source = f"{data.path} (split {data.split})"
    return f"{data.name}: {source}, {cfg.trainer.num_generations} completions each per step"


def rough_seconds(cfg: TrainConfig, warm_up: bool) -> tuple[float, float] | None:
    """(warm-up seconds, seconds per GRPO step) of a tiny model on idle CPUs; None where openrs cannot guess."""
    tiny, hw, trainer = cfg.model.tiny, cfg.hardware, cfg.trainer
    if tiny is None or hw.device != "cpu" or cfg.model.init_checkpoint:
        return None
    size = tiny.hidden_size * tiny.num_hidden_layers * tiny.intermediate_size / REFERENCE_SIZE
    warmup = tiny.warmup if warm_up else None
    warmup_s = warmup.steps * WARMUP_STEP_S * size * warmup.batch_size / 32 if warmup else 0.0
    completions = trainer.per_device_train_batch_size * trainer.gradient_accumulation_steps
    step_s = trainer.max_completion_length * (GRPO_TOKEN_S + GRPO_TOKEN_COMPLETION_S * completions * size)
    return warmup_s, step_s


def busy_note(load: float, cpus: int) -> str:
    """`; this machine is busy (load 5.2 on 2 CPUs): longer` when other work competes for the CPUs."""
    return (
        f"; this machine is busy (load {load:.1f} on {cpus} CPUs): longer"
        if load > BUSY_LOAD_PER_CPU * cpus
        else ""
    )


def plan_text(cfg: TrainConfig, start_step: int, warm: str) -> str:
    """What happens next: the warm-up (if any), the GRPO steps, and roughly how long in all."""
    steps = max(0, cfg.trainer.max_steps - start_step)
    warmup = cfg.model.tiny.warmup if cfg.model.tiny is not None else None
    parts = []
    if warm == "build" and warmup is not None:
        parts.append(f"warm up the model ({warmup.steps} supervised steps, then cached for later runs)")
    elif warm == "cached":
        parts.append("the warmed-up model from the cache")
    elif warm == "shipped":
        parts.append("the warmed-up model openrs ships")
    parts.append(_plural(steps, "GRPO step") + (f" from step {start_step}" if start_step else ""))
    rough = rough_seconds(cfg, warm == "build")
    if rough is None:
        return ", then ".join(parts) + "; each step's time is printed as it runs"
    warmup_s, step_s = rough
    detail = f" (warm-up {_duration(warmup_s)})" if warmup_s else ""
    estimate = f"about {_duration(warmup_s + steps * step_s)} on an idle machine{detail}"
    return ", then ".join(parts) + f": {estimate}{busy_note(os.getloadavg()[0], os.cpu_count() or 1)}"


def warm_model_state(cfg: TrainConfig, run_dir: Path) -> str:
    """ "build" (the warm-up runs), "cached", "shipped" (in the package), "run dir" (already in it) or ""
    (no warm-up configured)."""
    tiny = cfg.model.tiny
    if tiny is None or tiny.warmup is None or cfg.model.init_checkpoint:
        return ""
    from openrs.models.warmup import find_warm_model, is_cached
    from openrs.run_dir import RunDir

    if is_cached(RunDir(run_dir).init_model):
        return "run dir"
    return find_warm_model(tiny, cfg.seed)[1] or "build"


def banner_text(cfg: TrainConfig, run_dir: Path, start_step: int = 0, warm: str = "") -> str:
    """Experiment, model, data, hardware, steps, run dir and the plan, one line each."""
    hw, trainer, tiny = cfg.hardware, cfg.trainer, cfg.model.tiny
    model = cfg.model.init_checkpoint or cfg.model.name_or_path
    if tiny is not None and not cfg.model.init_checkpoint:
        model += f" (a tiny Qwen2 built here: {tiny.num_hidden_layers} layers of {tiny.hidden_size}"
        model += f", warmed up on {tiny.warmup.num_examples} demonstrations)" if tiny.warmup else ")"
    processes = hw.num_training_processes * hw.num_nodes
    resume = f" (resuming from step {start_step})" if start_step else ""
    return "\n".join(
        [
            f"openrs train: experiment '{cfg.experiment_name}'",
            f"  model     {model}",
            f"  data      {data_text(cfg)}",
            f"  hardware  {hw.name}: {_plural(processes, 'process', 'es')}, {threads_text(cfg)}",
            f"  steps     {trainer.max_steps}{resume}, a checkpoint every {trainer.save_steps}",
            f"  run dir   {run_dir}",
            f"  next      {plan_text(cfg, start_step, warm)}",
        ]
    )


def log_banner(cfg: TrainConfig, run_dir: Path, start_step: int = 0) -> None:
    """Log the banner: the first thing a run says."""
    log.info("%s", banner_text(cfg, run_dir, start_step, warm_model_state(cfg, run_dir)))


def start_process(cfg: TrainConfig, run_dir: Path, start_step: int, launched: bool) -> None:
    """The banner (unless a launcher, which said it, started this process), its CPU threads, quiet bars."""
    if not launched:
        log_banner(cfg, run_dir, start_step)
        log.info("loading torch, transformers and TRL")
    # Both import torch (and transformers, datasets): seconds on a busy machine, so after the banner.
    from openrs.cpu_threads import apply_cpu_threads
    from openrs.training.console import quiet_progress_bars

    apply_cpu_threads(cfg.hardware)
    quiet_progress_bars()
