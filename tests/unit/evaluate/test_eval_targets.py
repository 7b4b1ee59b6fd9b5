"""model_path resolution: Hub ids, model and checkpoint dirs, training run dirs, and bad paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from openrs.errors import ConfigError, EnvironmentUnavailableError
from openrs.evaluate.config import CheckpointsConfig
from openrs.evaluate.targets import check_hub_targets, resolve_targets


def model_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    return path


def training_run(root: Path, steps: list[int], init_model: bool = True) -> Path:
    (root / "checkpoints").mkdir(parents=True)
    for step in steps:
        model_dir(root / "checkpoints" / f"checkpoint-{step}")
    if init_model:
        model_dir(root / "init_model")
    return root


def test_hub_id():
    (target,) = resolve_targets("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", CheckpointsConfig())
    assert (target.label, target.is_hub_id, target.step) == ("DeepSeek-R1-Distill-Qwen-1.5B", True, None)


def test_model_dir_and_checkpoint_dir(tmp_path):
    (plain,) = resolve_targets(str(model_dir(tmp_path / "my-model")), CheckpointsConfig())
    assert (plain.label, plain.step, plain.is_hub_id) == ("my-model", None, False)
    (ckpt,) = resolve_targets(str(model_dir(tmp_path / "checkpoint-150")), CheckpointsConfig())
    assert (ckpt.label, ckpt.step) == ("checkpoint-150", 150)


@pytest.mark.parametrize(
    "every, include_init, expected",
    [
        (1, True, [0, 50, 100, 150, 200, 250]),
        (2, True, [0, 50, 150, 250]),
        (3, True, [0, 50, 200, 250]),  # the last checkpoint is always evaluated
        (10, False, [50, 250]),
    ],
)
def test_run_dir_checkpoints_in_step_order(tmp_path, every, include_init, expected):
    run = training_run(tmp_path / "run", [250, 50, 100, 200, 150])
    targets = resolve_targets(str(run), CheckpointsConfig(every=every, include_init=include_init))
    assert [t.step for t in targets] == expected
    assert targets[-1].path == str(run.resolve() / "checkpoints" / "checkpoint-250")


def test_run_dir_without_init_model_starts_from_its_configured_model(tmp_path):
    run = training_run(tmp_path / "run", [2], init_model=False)
    (run / "config.yaml").write_text(
        "model:\n  name_or_path: deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B\n  tiny: null\n"
    )
    first = resolve_targets(str(run), CheckpointsConfig())[0]
    assert (first.step, first.path, first.is_hub_id) == (0, "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", True)


def test_run_dir_skips_half_saved_checkpoints(tmp_path):
    run = training_run(tmp_path / "run", [2])
    (run / "checkpoints" / "checkpoint-4").mkdir()  # interrupted while saving: no config.json
    assert [t.step for t in resolve_targets(str(run), CheckpointsConfig())] == [0, 2]


@pytest.mark.parametrize(
    "layout, message",
    [
        ("missing", "model_path not found"),
        ("empty_checkpoints", "has no checkpoints"),
        ("summary_only", "has no checkpoints"),
        ("unrelated_dir", "neither a model dir"),
    ],
)
def test_bad_model_paths(tmp_path, layout, message):
    path = tmp_path / "x"
    if layout == "empty_checkpoints":
        (path / "checkpoints").mkdir(parents=True)
        model_dir(path / "init_model")
    elif layout == "summary_only":
        path.mkdir()
        (path / "summary.json").write_text("{}")
    elif layout == "unrelated_dir":
        (path / "notes").mkdir(parents=True)
    with pytest.raises(ConfigError, match=message):
        resolve_targets(str(path), CheckpointsConfig())


def test_uncached_hub_model_fails_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    targets = resolve_targets("someone/not-cached-model", CheckpointsConfig())
    with pytest.raises(EnvironmentUnavailableError, match="someone/not-cached-model"):
        check_hub_targets(targets, "main", timeout_s=0.1)
    check_hub_targets(resolve_targets(str(model_dir(tmp_path / "m")), CheckpointsConfig()), "main", 0.1)
