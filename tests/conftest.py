"""Shared fixtures: composing configs from conf/ without running Hydra's CLI, and a tiny model dir."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# One torch thread per test process and per run a test starts, unless the caller chose: on a small machine
# shared with other jobs, torch's default (one per core) spin-waits and slows the suite several-fold.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
from hydra import compose, initialize_config_dir

from openrs.config.store import register_configs, to_typed

REPO = Path(__file__).resolve().parents[1]
CONF_DIR = REPO / "conf"


# Libraries a test module may use but must not import at module level: collection stays a few seconds.
HEAVY_LIBRARIES = ("torch", "transformers", "trl", "accelerate", "deepspeed", "datasets", "vllm")
HEAVY_IMPORTS_AT_COLLECTION: dict[str, list[str]] = {}  # test module -> heavy libraries its import loaded


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """Record which test module first imported a heavy library (tests/unit/test_collection.py checks none)."""
    before = {name for name in HEAVY_LIBRARIES if name in sys.modules}
    yield
    loaded = [name for name in HEAVY_LIBRARIES if name in sys.modules and name not in before]
    if loaded and isinstance(collector, pytest.Module):
        HEAVY_IMPORTS_AT_COLLECTION[collector.nodeid] = loaded


def pytest_runtest_setup(item):
    """Tests marked `gpu` run only where torch sees a CUDA device (checked at run time, not collection)."""
    if item.get_closest_marker("gpu"):
        import torch

        if not torch.cuda.is_available():
            pytest.skip("needs a CUDA GPU")


@pytest.fixture(autouse=True)
def _environment_as_it_was():
    """Each test starts with the environment the session started with. A test, or a library it calls,
    may change it (TRL's colocated vLLM sets RANK, WORLD_SIZE and MASTER_PORT in-process), and a run a
    later test starts would inherit that: a process group where none belongs."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


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
