"""Maps openrs's typed config onto TRL 1.16's GRPOConfig."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from openrs.config.schema import RunConfig, TrainConfig
from openrs.errors import ConfigError


def grpo_config_kwargs(
    cfg: TrainConfig, output_dir: str | Path, reward_weights: list[float]
) -> dict[str, Any]:
    """Keyword arguments for `trl.GRPOConfig`, one place for every mapping."""
    trainer, opt, hw, model, data = cfg.trainer, cfg.optimizer, cfg.hardware, cfg.model, cfg.dataset
    kwargs: dict[str, Any] = {
        "output_dir": str(output_dir),
        "seed": cfg.seed,
        "data_seed": cfg.seed,
        # Optimiser and schedule
        "optim": opt.name,
        "learning_rate": opt.lr,
        "weight_decay": opt.weight_decay,
        "adam_beta1": opt.adam_beta1,
        "adam_beta2": opt.adam_beta2,
        "max_grad_norm": opt.max_grad_norm,
        "lr_scheduler_type": opt.lr_scheduler_type,
        "lr_scheduler_kwargs": {"min_lr_rate": opt.min_lr_rate}
        if opt.lr_scheduler_type == "cosine_with_min_lr"
        else {},
        # transformers 5 reads a warmup_steps below 1 as a fraction of max_steps.
        "warmup_steps": opt.warmup_ratio,
        # GRPO
        "num_generations": trainer.num_generations,
        "per_device_train_batch_size": trainer.per_device_train_batch_size,
        "gradient_accumulation_steps": trainer.gradient_accumulation_steps,
        "max_completion_length": trainer.max_completion_length,
        "temperature": trainer.temperature,
        "top_p": trainer.top_p,
        "max_steps": trainer.max_steps,
        "beta": trainer.beta,
        "epsilon": trainer.epsilon,
        "loss_type": trainer.loss_type,
        "scale_rewards": trainer.scale_rewards,
        "steps_per_generation": trainer.steps_per_generation,
        "logprobs_at_sampling_temperature": trainer.logprobs_at_sampling_temperature,
        "use_bias_correction_kl": trainer.use_bias_correction_kl,
        # Longer prompts reach the trainer only with dataset.long_prompts=truncate; it cuts them.
        "max_prompt_length": data.max_prompt_length if data.long_prompts == "truncate" else None,
        "reward_weights": reward_weights,
        # The paper predates TRL's vLLM importance-sampling correction.
        "vllm_importance_sampling_correction": False,
        # Checkpoints and logs
        "save_strategy": "steps",
        "save_steps": trainer.save_steps,
        # With validation, 1 means 2: the best and the last (at its end transformers would keep the best
        # alone, and a rerun would resume from it instead of seeing a finished run).
        "save_total_limit": max(2, trainer.save_total_limit)
        if cfg.validation.every and trainer.save_total_limit
        else trainer.save_total_limit,
        # Validation picks the best checkpoint (openrs.training.validation); transformers keeps it on disk.
        "metric_for_best_model": f"val/{cfg.validation.metric}" if cfg.validation.every else None,
        "greater_is_better": True if cfg.validation.every else None,
        "logging_steps": trainer.logging_steps,
        "log_completions": trainer.log_completions,
        "report_to": ["wandb"] if cfg.run.logger == "wandb" else "none",
        "run_name": cfg.experiment_name,
        **hub_kwargs(cfg.run),
        # Hardware
        # DeepSpeed on CPU: not `use_cpu` (it would bypass DeepSpeed's process group) but gloo, so that
        # every process knows its rank before ZeRO-3 partitions the model it loads.
        "use_cpu": hw.device == "cpu" and hw.deepspeed is None,
        # (Only then: a single CPU process given a backend would wait for a process group never made.)
        "ddp_backend": "gloo" if hw.device == "cpu" and hw.deepspeed is not None else None,
        "bf16": hw.bf16,
        "gradient_checkpointing": hw.gradient_checkpointing,
        "use_vllm": hw.use_vllm,
        # Every parameter of the dense causal LMs openrs trains takes part in the loss; transformers' default
        # (True without gradient checkpointing) costs DDP an extra autograd traversal per step, and a warning.
        # A model with parameters a step leaves unused: trainer.extra.ddp_find_unused_parameters=true.
        "ddp_find_unused_parameters": False,
        "dataloader_num_workers": hw.dataloader_num_workers,
        "dataloader_pin_memory": hw.device != "cpu",  # pinned memory needs an accelerator (torch warns)
    }
    if hw.use_vllm:
        kwargs.update(vllm_mode=hw.vllm_mode, vllm_gpu_memory_utilization=hw.vllm_gpu_memory_utilization)
        if hw.vllm_mode == "server":
            kwargs.update(vllm_server_host=hw.vllm_server_host, vllm_server_port=hw.vllm_server_port)
            # vLLM's CPU build has no NCCL: the server reloads the policy from a file instead.
            kwargs["vllm_weight_sync"] = "reload" if hw.device == "cpu" else "nccl"
    # TRL loads the policy and its reference copy from a path or Hub id with these.
    init_kwargs: dict[str, Any] = {"dtype": model.dtype}
    if model.tiny is None and not model.init_checkpoint:
        init_kwargs["revision"] = model.revision
    if model.attn_implementation:
        init_kwargs["attn_implementation"] = model.attn_implementation
    kwargs["model_init_kwargs"] = init_kwargs
    kwargs.update(trainer.extra)
    return kwargs


def hub_kwargs(run: RunConfig) -> dict[str, Any]:
    """Checkpoint pushes to the Hub (off unless run.push_to_hub)."""
    if not run.push_to_hub:
        return {"push_to_hub": False}
    return {"push_to_hub": True, "hub_model_id": run.hub_model_id, "hub_strategy": run.hub_strategy}


def build_grpo_config(cfg: TrainConfig, output_dir: str | Path, reward_weights: list[float]):
    """The GRPOConfig (openrs's subclass) TRL receives; unknown `trainer.extra` keys fail with their names."""
    from openrs.training.paper_trainer import OpenRSGRPOConfig

    kwargs = grpo_config_kwargs(cfg, output_dir, reward_weights)
    known = {f.name for f in dataclasses.fields(OpenRSGRPOConfig)}
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise ConfigError(
            f"trainer.extra has key(s) {unknown} that TRL {_trl_version()} GRPOConfig does not know"
        )
    try:
        return OpenRSGRPOConfig(**kwargs)
    except ValueError as err:
        raise ConfigError(f"TRL rejected the GRPO settings: {str(err).splitlines()[0]}") from err


def _trl_version() -> str:
    import trl

    return trl.__version__
