"""A tiny random Qwen2 with its tokenizer, saved once per session like a real model dir."""

from __future__ import annotations

import pytest

from openrs.config.schema import TinyModelConfig
from openrs.models.tiny import build_tiny_qwen2, build_tiny_tokenizer


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A model dir (config.json, weights, tokenizer with chat template) of a tiny random Qwen2."""
    path = tmp_path_factory.mktemp("tiny_model")
    tokenizer = build_tiny_tokenizer()
    build_tiny_qwen2(TinyModelConfig(), tokenizer, seed=0).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
