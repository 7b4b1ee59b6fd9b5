"""Every value of a training config checked before anything loads: one line naming key, value and what is allowed.

Types are Hydra's job (a string for a float fails while composing); this module checks what a type
cannot say: ranges, choices, the tiny model's shape, and that the rewards can reward anything.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator, Mapping
from typing import Any

from openrs.config.schema import (
    LONG_PROMPT_MODES,
    ModelConfig,
    TinyModelConfig,
    TrainConfig,
    ValidationConfig,
)
from openrs.errors import ConfigError

# TRL 1.16's GRPOConfig.loss_type and scale_rewards values (grpo_config.py, grpo_trainer.py).
LOSS_TYPES = ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo")
SCALE_REWARDS = ("group", "batch", "none")
DTYPES = ("bfloat16", "float16", "float32", "auto")
# transformers 5.17's HubStrategy values (TRL's GRPOConfig inherits `hub_strategy` from TrainingArguments).
HUB_STRATEGIES = ("end", "every_save", "checkpoint", "all_checkpoints")
# transformers 5.17's AttentionInterface keys plus "eager"; "org/repo" names a Hub kernel.
ATTN_IMPLEMENTATIONS = (
    "eager", "sdpa", "flash_attention_2", "flash_attention_3", "flash_attention_4", "flex_attention",
    "paged|eager", "paged|sdpa", "paged|flash_attention_2", "paged|flash_attention_3", "paged|flash_attention_4",
)  # fmt: skip


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _rule(key: str, value: Any, ok: bool, allowed: str) -> tuple[bool, str]:
    return ok, f"{key}={_fmt(value)} is not allowed: {allowed}"


def _positive(key: str, value: float, unit: str = "") -> tuple[bool, str]:
    return _rule(key, value, value > 0, f"must be > 0{unit}")


def _choice(key: str, value: Any, choices: tuple) -> tuple[bool, str]:
    return _rule(key, value, value in choices, "must be one of " + ", ".join(map(str, choices)))


def _tiny_rules(tiny: TinyModelConfig) -> list[tuple[bool, str]]:
    heads, kv_heads, hidden = tiny.num_attention_heads, tiny.num_key_value_heads, tiny.hidden_size
    rules = [
        _positive("model.tiny.hidden_size", hidden),
        _positive("model.tiny.intermediate_size", tiny.intermediate_size),
        _positive("model.tiny.num_hidden_layers", tiny.num_hidden_layers),
        _positive("model.tiny.num_attention_heads", heads),
        _positive("model.tiny.num_key_value_heads", kv_heads),
        _positive("model.tiny.max_position_embeddings", tiny.max_position_embeddings),
        _positive("model.tiny.tokenizer_vocab_size", tiny.tokenizer_vocab_size),
    ]
    if heads > 0 and kv_heads > 0:
        rules += [
            _rule("model.tiny.num_attention_heads", heads, hidden % heads == 0,
                  f"must divide model.tiny.hidden_size={hidden} (each head gets hidden_size / heads dims)"),
            _rule("model.tiny.num_key_value_heads", kv_heads, heads % kv_heads == 0,
                  f"must divide model.tiny.num_attention_heads={heads} (grouped-query attention)"),
        ]  # fmt: skip
    warmup = tiny.warmup
    if warmup is not None:
        rules += [
            _positive("model.tiny.warmup.steps", warmup.steps),
            _positive("model.tiny.warmup.batch_size", warmup.batch_size),
            _positive("model.tiny.warmup.num_examples", warmup.num_examples),
            _positive("model.tiny.warmup.lr", warmup.lr),
            _rule("model.tiny.warmup.warmup_ratio", warmup.warmup_ratio, 0 <= warmup.warmup_ratio < 1,
                  "must be in [0, 1)"),
        ]  # fmt: skip
    return rules


def _model_rules(model: ModelConfig) -> list[tuple[bool, str]]:
    attn = model.attn_implementation
    rules = [
        _choice("model.dtype", model.dtype, DTYPES),
        _rule("model.attn_implementation", attn, attn is None or attn in ATTN_IMPLEMENTATIONS or "/" in attn,
              "must be null (transformers picks) or one of " + ", ".join(ATTN_IMPLEMENTATIONS)
              + ", or a Hub kernel 'org/repo'"),
    ]  # fmt: skip
    return rules + (_tiny_rules(model.tiny) if model.tiny is not None else [])


def value_rules(cfg: TrainConfig) -> list[tuple[bool, str]]:
    """(ok, message) for every value check of a training config, in the order they are reported."""
    opt, tr, data, hw = cfg.optimizer, cfg.trainer, cfg.dataset, cfg.hardware
    return [
        _positive("optimizer.lr", opt.lr),
        _rule("optimizer.warmup_ratio", opt.warmup_ratio, 0 <= opt.warmup_ratio < 1, "must be in [0, 1)"),
        _rule("optimizer.weight_decay", opt.weight_decay, opt.weight_decay >= 0, "must be >= 0"),
        _rule("optimizer.adam_beta1", opt.adam_beta1, 0 <= opt.adam_beta1 < 1, "must be in [0, 1)"),
        _rule("optimizer.adam_beta2", opt.adam_beta2, 0 <= opt.adam_beta2 < 1, "must be in [0, 1)"),
        _rule("optimizer.max_grad_norm", opt.max_grad_norm, opt.max_grad_norm >= 0, "must be >= 0 (0: no clipping)"),
        _rule("optimizer.min_lr_rate", opt.min_lr_rate, 0 <= opt.min_lr_rate <= 1, "must be in [0, 1]"),
        _positive("trainer.max_steps", tr.max_steps, " (optimizer steps; openrs does not train by epochs)"),
        _positive("trainer.save_steps", tr.save_steps, " (a checkpoint every N steps)"),
        _positive("trainer.logging_steps", tr.logging_steps),
        _rule("trainer.save_total_limit", tr.save_total_limit,
              tr.save_total_limit is None or tr.save_total_limit > 0, "must be null (keep all) or > 0"),
        _rule("trainer.num_generations", tr.num_generations, tr.num_generations >= 2,
              "must be >= 2 (GRPO compares completions within a group)"),
        _positive("trainer.per_device_train_batch_size", tr.per_device_train_batch_size),
        _positive("trainer.gradient_accumulation_steps", tr.gradient_accumulation_steps),
        _rule("trainer.steps_per_generation", tr.steps_per_generation,
              tr.steps_per_generation is None or tr.steps_per_generation > 0, "must be null (TRL's default) or > 0"),
        _positive("trainer.max_completion_length", tr.max_completion_length, " (tokens)"),
        _positive("trainer.temperature", tr.temperature, " (0 would make every completion of a group the same)"),
        _rule("trainer.top_p", tr.top_p, 0 < tr.top_p <= 1, "must be in (0, 1]"),
        _rule("trainer.beta", tr.beta, tr.beta >= 0, "must be >= 0 (the KL coefficient; 0: no reference model)"),
        _positive("trainer.epsilon", tr.epsilon, " (the clipping range)"),
        _choice("trainer.loss_type", tr.loss_type, LOSS_TYPES),
        _choice("trainer.scale_rewards", tr.scale_rewards, SCALE_REWARDS),
        *_model_rules(cfg.model),
        _positive("dataset.num_rows", data.num_rows),
        _positive("dataset.max_prompt_length", data.max_prompt_length, " (tokens)"),
        _rule("dataset.max_rows", data.max_rows, data.max_rows is None or data.max_rows > 0,
              "must be null (all) or > 0"),
        _choice("dataset.long_prompts", data.long_prompts, LONG_PROMPT_MODES),
        _rule("hardware.vllm_gpu_memory_utilization", hw.vllm_gpu_memory_utilization,
              0 < hw.vllm_gpu_memory_utilization <= 1, "must be in (0, 1]"),
        _positive("run.hub_timeout_s", cfg.run.hub_timeout_s, " (seconds)"),
        _choice("run.hub_strategy", cfg.run.hub_strategy, HUB_STRATEGIES),
        _rule("seed", cfg.seed, cfg.seed >= 0, "must be >= 0"),
    ]  # fmt: skip


def _import_target(key: str, target: Any) -> Any:
    if not isinstance(target, str) or "." not in target:
        raise ConfigError(
            f"{key}={_fmt(target)} is not allowed: must be a dotted path to a reward function, "
            "e.g. openrs.rewards.accuracy_reward"
        )
    module_name, _, attr = target.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise ConfigError(f"{key}={target!r} cannot be imported ({type(err).__name__}: {err})") from None


def is_reward_function(func: Any) -> bool:
    """Whether TRL can call `func(prompts=..., completions=..., completion_ids=..., **columns)`."""
    if isinstance(func, type) or not callable(func):
        return False
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    return any(p.name == "completions" or p.kind is p.VAR_KEYWORD for p in params)


def reward_rules(funcs: Mapping[str, Any]) -> Iterator[tuple[bool, str]]:
    """Each reward entry is a mapping with a numeric weight and a `_target_` that is a reward function."""
    weights = []
    for name, spec in funcs.items():
        if spec is None:  # removed with reward.funcs.<name>=null
            continue
        key = f"reward.funcs.{name}"
        if not isinstance(spec, Mapping):
            yield False, f"{key}={_fmt(spec)} is not allowed: must be a mapping {{_target_, weight, ...}}"
            continue
        weight = spec.get("weight", 1.0)
        number = isinstance(weight, int | float) and not isinstance(weight, bool)
        yield _rule(f"{key}.weight", weight, number, "must be a number")
        weights.append(weight if number else 0)
        if number and weight == 0:
            continue  # left out of the run: its target is never imported
        func = _import_target(f"{key}._target_", spec.get("_target_"))
        yield _rule(f"{key}._target_", spec.get("_target_"), is_reward_function(func),
                    "must name a function taking `completions` (and the dataset's columns as keywords)")  # fmt: skip
    yield (
        any(w != 0 for w in weights),
        "reward.funcs: every reward weight is 0 (or there is no reward): GRPO would have nothing to learn "
        "from; give at least one reward a non-zero weight, e.g. reward.funcs.accuracy.weight=1",
    )


def validation_rules(
    val: ValidationConfig, benchmarks: tuple[str, ...], checkers: tuple[str, ...]
) -> list[tuple[bool, str]]:
    """The `validation` group's values (given the packaged benchmarks and the checkers openrs.evaluate has)."""
    known = benchmarks if val.benchmark_dir is None else val.benchmarks
    metrics = ["mean_pass@1"] + [f"{b}/pass@1" for b in val.benchmarks]
    return [
        _rule("validation.every", val.every, val.every >= 0, "must be >= 0 (0: off)"),
        _rule("validation.benchmarks", val.benchmarks, bool(val.benchmarks) and set(val.benchmarks) <= set(known)
              and len(set(val.benchmarks)) == len(val.benchmarks), "must name distinct benchmarks of " + ", ".join(known)),
        _rule("validation.limit", val.limit, val.limit is None or val.limit >= 1, "must be >= 1 or null"),
        _rule("validation.num_samples", val.num_samples, val.num_samples >= 1, "must be >= 1"),
        _rule("validation.batch_size", val.batch_size, val.batch_size >= 1, "must be >= 1"),
        _choice("validation.checker", val.checker, checkers),
        _rule("validation.max_new_tokens", val.max_new_tokens, val.max_new_tokens is None or val.max_new_tokens >= 1,
              "must be >= 1 or null (the paper's 32768)"),
        _rule("validation.temperature", val.temperature, val.temperature is None or val.temperature >= 0, "must be >= 0"),
        _rule("validation.top_p", val.top_p, val.top_p is None or 0 < val.top_p <= 1, "must be in (0, 1]"),
        _choice("validation.metric", val.metric, tuple(metrics)),
        _rule("validation.patience", val.patience, val.patience is None or val.patience >= 1, "must be >= 1 or null"),
    ]  # fmt: skip


def validate_validation_config(
    val: ValidationConfig, benchmarks: tuple[str, ...], checkers: tuple[str, ...]
) -> None:
    """Raise ConfigError naming the first bad `validation.*` value."""
    for ok, message in validation_rules(val, benchmarks, checkers):
        if not ok:
            raise ConfigError(message)


def validate_train_config(cfg: TrainConfig) -> None:
    """Raise ConfigError naming the first bad value; nothing is loaded but the reward functions' modules."""
    for ok, message in value_rules(cfg):
        if not ok:
            raise ConfigError(message)
    for ok, message in reward_rules(cfg.reward.funcs):
        if not ok:
            raise ConfigError(message)
