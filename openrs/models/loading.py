"""Builds the tokenizer and names the model TRL loads (a Hub id or a local folder)."""

from __future__ import annotations

import logging
from pathlib import Path

from openrs.config.schema import ModelConfig

log = logging.getLogger(__name__)

TINY_MODEL_DIR = "init_model"


def build_tokenizer(cfg: ModelConfig):
    """The tokenizer: built locally for tiny models, else loaded from the checkpoint or Hub id."""
    from transformers import AutoTokenizer

    if cfg.init_checkpoint:
        return AutoTokenizer.from_pretrained(cfg.init_checkpoint)
    if cfg.tiny is not None:
        from openrs.models.tiny import build_tiny_tokenizer

        return build_tiny_tokenizer(cfg.tiny.tokenizer_vocab_size)
    return AutoTokenizer.from_pretrained(cfg.name_or_path, revision=cfg.revision)


def model_source(cfg: ModelConfig, tokenizer, seed: int, run_dir: str | Path) -> str:
    """The path or Hub id TRL loads the policy (and its reference copy) from.

    A tiny model is built (and warmed up, when configured) once and saved under the run dir, so that
    TRL can load the reference model from it and a resumed run starts from the very same weights.
    """
    if cfg.init_checkpoint:
        return cfg.init_checkpoint
    if cfg.tiny is None:
        return cfg.name_or_path
    target = Path(run_dir) / TINY_MODEL_DIR
    if not (target / "config.json").exists():
        from openrs.models.tiny import build_tiny_qwen2

        model = build_tiny_qwen2(cfg.tiny, tokenizer, seed)
        if cfg.tiny.warmup is not None:  # a brief supervised warm-up, so that RL has something to sharpen
            from openrs.models.warmup import warm_up

            warm_up(model, tokenizer, cfg.tiny.warmup, seed)
        model.save_pretrained(target)
        tokenizer.save_pretrained(target)
        log.info("built tiny Qwen2 (%.2fM parameters) in %s", model.num_parameters() / 1e6, target)
    return str(target)
