"""The warmed-up tiny model is cached outside the run dir, keyed by everything that determines it."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

import pytest

from openrs.config.schema import ModelConfig, TinyModelConfig, WarmupConfig
from openrs.models import loading, warmup
from openrs.models.tiny import build_tiny_tokenizer
from openrs.run_dir import RunDir

if TYPE_CHECKING:
    import torch

# A very small warm-up: seconds, not the micro reproduction's minute.
SPEC = TinyModelConfig(
    hidden_size=64, intermediate_size=64, tokenizer_vocab_size=300,
    warmup=WarmupConfig(system_prompt="Add.", num_examples=8, steps=2, batch_size=4),
)  # fmt: skip


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty warm-model cache in tmp_path, through the environment variable."""
    monkeypatch.setenv(warmup.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def warm_ups(monkeypatch) -> list[int]:
    """Counts real warm-ups (each call still trains)."""
    calls = []
    real = warmup.warm_up

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(warmup, "warm_up", counted)
    return calls


def weights(folder) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(folder / "model.safetensors")


def test_second_build_takes_the_cached_warm_model(tmp_path, cache, warm_ups, caplog):
    import torch

    cfg, tokenizer = ModelConfig(name_or_path="tiny", tiny=SPEC), build_tiny_tokenizer(300)
    loading.model_source(cfg, tokenizer, 7, tmp_path / "run1")
    assert warm_ups == [1]
    assert [p.parent for p in cache.glob("*/config.json")] == [warmup.cached_warm_model(SPEC, 7)]
    with caplog.at_level(logging.INFO, logger="openrs.models"):
        second = loading.model_source(cfg, tokenizer, 7, tmp_path / "run2")
    assert warm_ups == [1], "the second run warmed up again"
    assert "warm-up skipped" in caplog.text and str(warmup.cached_warm_model(SPEC, 7)) in caplog.text
    assert second == str(RunDir(tmp_path / "run2").init_model)
    a, b = weights(RunDir(tmp_path / "run1").init_model), weights(RunDir(tmp_path / "run2").init_model)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert (RunDir(tmp_path / "run2").init_model / "tokenizer.json").exists()
    loading.model_source(cfg, tokenizer, 8, tmp_path / "run3")  # another seed: another model
    assert warm_ups == [1, 1] and len(list(cache.glob("*/config.json"))) == 2


def _replace(spec: TinyModelConfig, **changes) -> TinyModelConfig:
    warm = {k: v for k, v in changes.items() if k in {f.name for f in dataclasses.fields(WarmupConfig)}}
    shape = {k: v for k, v in changes.items() if k not in warm}
    return dataclasses.replace(spec, **shape, warmup=dataclasses.replace(spec.warmup, **warm))


@pytest.mark.parametrize(
    "change",
    [
        {"hidden_size": 128},
        {"num_hidden_layers": 3},
        {"tokenizer_vocab_size": 512},
        {"steps": 3},
        {"lr": 1e-3},
        {"batch_size": 8},
        {"num_examples": 16},
        {"system_prompt": "Sum."},
        {"demonstrations": "openrs.micro_repro.task.generate_micro_arith"},
    ],
)
def test_key_changes_with_each_setting_that_determines_the_model(change):
    base = warmup.warm_model_key(SPEC, 7)
    assert warmup.warm_model_key(_replace(SPEC, **change), 7) != base
    assert warmup.warm_model_key(dataclasses.replace(SPEC), 7) == base  # equal settings, equal key


def test_key_changes_with_the_seed_library_versions_and_code(monkeypatch):
    base = warmup.warm_model_key(SPEC, 7)
    assert warmup.warm_model_key(SPEC, 8) != base
    real_version = warmup.importlib.metadata.version
    for package in warmup.KEY_PACKAGES:
        with monkeypatch.context() as patch:
            patch.setattr(
                warmup.importlib.metadata,
                "version",
                lambda name, p=package: "0.0.0" if name == p else real_version(name),
            )
            assert warmup.warm_model_key(SPEC, 7) != base, package
    real_source = warmup.inspect.getsource
    monkeypatch.setattr(
        warmup.inspect,
        "getsource",
        lambda obj: real_source(obj) + ("#" if obj.__name__ == "openrs.models.tiny" else ""),
    )
    assert warmup.warm_model_key(SPEC, 7) != base


def test_cache_dir_is_outside_the_run_dir_and_movable(monkeypatch, tmp_path):
    monkeypatch.delenv(warmup.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert warmup.warm_model_cache_dir() == tmp_path / "xdg" / "openrs" / "warm_models"
    monkeypatch.setenv(warmup.CACHE_ENV, str(tmp_path / "mine"))
    assert warmup.cached_warm_model(SPEC, 7).parent == tmp_path / "mine"


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError])
def test_an_interrupted_save_leaves_nothing_behind(tmp_path, interruption):
    def write(folder):
        folder.mkdir()
        (folder / "config.json").write_text("{}")
        raise interruption

    with pytest.raises(interruption):
        warmup.save_atomically(tmp_path / "model", write)
    assert list(tmp_path.iterdir()) == []  # neither the target nor a half-written temporary folder


def test_a_copy_already_in_place_is_kept(tmp_path):
    warmup.save_atomically(
        tmp_path / "model", lambda folder: folder.mkdir() or (folder / "config.json").write_text("1")
    )
    warmup.save_atomically(
        tmp_path / "model", lambda folder: folder.mkdir() or (folder / "config.json").write_text("2")
    )
    assert (tmp_path / "model" / "config.json").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
