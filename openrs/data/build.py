"""From a DatasetConfig to the conversational prompts TRL trains on."""

from __future__ import annotations

import logging
from pathlib import Path

from openrs.config.schema import DatasetConfig
from openrs.data.sources import load_rows
from openrs.errors import ConfigError

log = logging.getLogger(__name__)


def to_canonical_columns(ds, cfg: DatasetConfig):
    """Rename source columns to `problem`, `answer` (and `solution`), dropping the rest."""
    wanted = {cfg.problem_column: "problem", cfg.answer_column: "answer"}
    if cfg.solution_column:
        wanted[cfg.solution_column] = "solution"
    missing = [c for c in wanted if c not in ds.column_names]
    if missing:
        raise ConfigError(
            f"dataset '{cfg.name}' has no column(s) {missing}; it has {ds.column_names} "
            f"(set dataset.problem_column / answer_column / solution_column)"
        )
    ds = ds.select_columns(list(wanted))
    renames = {src: dst for src, dst in wanted.items() if src != dst}
    return ds.rename_columns(renames) if renames else ds


def add_prompts(ds, system_prompt: str):
    """Add TRL's conversational `prompt` column: the system prompt then the problem."""

    def to_prompt(row):
        messages = [{"role": "user", "content": row["problem"]}]
        if system_prompt:
            messages.insert(0, {"role": "system", "content": system_prompt})
        return {"prompt": messages, "answer": str(row["answer"])}

    return ds.map(to_prompt, desc="prompts")


def drop_long_prompts(ds, tokenizer, max_prompt_length: int):
    """Remove rows whose templated prompt exceeds `max_prompt_length` tokens (logged)."""

    def length(row):
        ids = tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=True)
        ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
        return {"prompt_tokens": len(ids)}

    ds = ds.map(length, desc="prompt lengths")
    kept = ds.filter(lambda row: row["prompt_tokens"] <= max_prompt_length)
    log.info(
        "dropped %d of %d prompts longer than %d tokens", len(ds) - len(kept), len(ds), max_prompt_length
    )
    return kept.remove_columns("prompt_tokens")


def build_train_dataset(cfg: DatasetConfig, tokenizer, seed: int, run_dir: str | Path | None = None):
    """Load, canonicalise, prompt and filter the training set; fail clearly if nothing is left."""
    ds = load_rows(cfg.path, cfg.split, cfg.num_rows, seed)
    ds = to_canonical_columns(ds, cfg)
    if cfg.max_rows is not None:
        ds = ds.shuffle(seed=seed).select(range(min(cfg.max_rows, len(ds))))
    ds = add_prompts(ds, cfg.system_prompt)
    ds = drop_long_prompts(ds, tokenizer, cfg.max_prompt_length)
    if len(ds) == 0:
        raise ConfigError(
            f"dataset '{cfg.name}' is empty after filtering (max_prompt_length={cfg.max_prompt_length})"
        )
    log.info("training on %d prompts from %s", len(ds), cfg.path)
    return ds
