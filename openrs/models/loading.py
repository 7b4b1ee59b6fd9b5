"""Builds the tokenizer and names the model TRL loads (a Hub id or a local folder)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from openrs.config.schema import ModelConfig, TinyModelConfig
from openrs.models import warmup
from openrs.run_dir import RunDir

log = logging.getLogger(__name__)


# transformers 5 names a plain tokenizers-backed tokenizer so in tokenizer_config.json.
GENERIC_TOKENIZER_CLASSES = {"TokenizersBackend", "PreTrainedTokenizerFast"}


def load_tokenizer(name_or_path: str, revision: str | None = None):
    """Load a tokenizer as it was saved, including openrs's tiny ones.

    AutoTokenizer picks the class from config.json's model type, which for a tiny Qwen2 would be
    Qwen2Tokenizer: a different pre-tokenizer than the one the model was trained with.
    """
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    config_file = Path(name_or_path) / "tokenizer_config.json"
    if (
        config_file.exists()
        and json.loads(config_file.read_text()).get("tokenizer_class") in GENERIC_TOKENIZER_CLASSES
    ):
        return PreTrainedTokenizerFast.from_pretrained(name_or_path, padding_side="left")
    return AutoTokenizer.from_pretrained(name_or_path, revision=revision)


def build_tokenizer(cfg: ModelConfig):
    """The tokenizer: built locally for tiny models, else loaded from the checkpoint or Hub id."""
    if cfg.init_checkpoint:
        return load_tokenizer(cfg.init_checkpoint)
    if cfg.tiny is not None:
        from openrs.models.tiny import build_tiny_tokenizer

        return build_tiny_tokenizer(cfg.tiny.tokenizer_vocab_size)
    return load_tokenizer(cfg.name_or_path, revision=cfg.revision)


def model_source(cfg: ModelConfig, tokenizer, seed: int, run_dir: str | Path) -> str:
    """The path or Hub id TRL loads the policy (and its reference copy) from.

    A tiny model is built (and warmed up, when configured) once and saved under the run dir, so that
    TRL can load the reference model from it and a resumed run starts from the very same weights. A
    warmed-up one is copied from the warm-model cache when it is there (openrs/models/warmup.py).
    """
    if cfg.init_checkpoint:
        return cfg.init_checkpoint
    if cfg.tiny is None:
        return cfg.name_or_path
    target = RunDir(run_dir).init_model
    if warmup.is_cached(target):
        return str(target)
    if cfg.tiny.warmup is None:
        model = build_tiny(cfg.tiny, tokenizer, seed)
        warmup.save_atomically(target, lambda folder: save_model(model, tokenizer, folder))
        return str(target)
    found, origin = warmup.find_warm_model(cfg.tiny, seed)
    if found is not None:
        how = "openrs ships it" if origin == "shipped" else "cached"
        log.info("warm-up skipped: these settings' warmed-up model is %s: %s", how, found)
    else:  # so that GRPO starts from a policy that is sometimes right
        found = warmup.cached_warm_model(cfg.tiny, seed)
        model = build_tiny(cfg.tiny, tokenizer, seed)
        warmup.warm_up(model, tokenizer, cfg.tiny.warmup, seed)
        warmup.save_atomically(found, lambda folder: save_model(model, tokenizer, folder))
        log.info("warmed-up model cached in %s (`%s=<dir>` moves the cache)", found, warmup.CACHE_ENV)
    warmup.save_atomically(target, lambda folder: shutil.copytree(found, folder))
    return str(target)


def build_tiny(spec: TinyModelConfig, tokenizer, seed: int):
    """The seeded random tiny Qwen2, with its size logged."""
    from openrs.models.tiny import build_tiny_qwen2

    model = build_tiny_qwen2(spec, tokenizer, seed)
    log.info("built tiny Qwen2 (%.2fM parameters)", model.num_parameters() / 1e6)
    return model


def save_model(model, tokenizer, folder: Path) -> None:
    """Save the weights, config and tokenizer TRL loads the policy from."""
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
