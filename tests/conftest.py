"""Shared fixtures: composing configs from conf/ without running Hydra's CLI, and a tiny model dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from openrs.config.store import register_configs, to_typed

REPO = Path(__file__).resolve().parents[1]
CONF_DIR = REPO / "conf"


def group_options(group: str) -> list[str]:
    """Every option file shipped in conf/<group>/."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


@pytest.fixture(scope="session")
def compose_cfg():
    """compose_cfg(overrides) -> (DictConfig, typed TrainConfig)."""
    register_configs()

    def _compose(overrides: list[str] | None = None):
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = compose("config", overrides=list(overrides or []))
        return cfg, to_typed(cfg)

    return _compose


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A model dir (config.json, weights, tokenizer with chat template) of a tiny random Qwen2, built once."""
    from openrs.config.schema import TinyModelConfig
    from openrs.models.tiny import build_tiny_qwen2, build_tiny_tokenizer

    path = tmp_path_factory.mktemp("tiny_model")
    tokenizer = build_tiny_tokenizer()
    build_tiny_qwen2(TinyModelConfig(), tokenizer, seed=0).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
