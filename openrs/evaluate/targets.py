"""What `model_path` names: a Hub id, a model or checkpoint dir, or a training run dir's checkpoints."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from openrs.data.sources import is_local_path
from openrs.errors import ConfigError
from openrs.evaluate.config import CheckpointsConfig
from openrs.run_dir import RunDir, checkpoint_dirs, checkpoint_step
from openrs.run_dir.layout import CHECKPOINTS_DIR, INIT_MODEL_DIR, METRICS_FILE, SUMMARY_FILE

log = logging.getLogger(__name__)

RUN_DIR_MARKERS = (CHECKPOINTS_DIR, INIT_MODEL_DIR, SUMMARY_FILE, METRICS_FILE)


@dataclass(frozen=True)
class Target:
    """One model to evaluate: its name in the eval run dir, what to load, and its training step."""

    label: str
    path: str
    step: int | None = None
    is_hub_id: bool = False


def _is_model_dir(path: Path) -> bool:
    return (path / "config.json").is_file()


def _initial_model(run_dir: Path) -> Target | None:
    """Step 0 of a training run: its saved `init_model`, else the model its config.yaml started from."""
    if _is_model_dir(RunDir(run_dir).init_model):
        return Target(INIT_MODEL_DIR, str(RunDir(run_dir).init_model), step=0)
    config = RunDir(run_dir).config
    if not config.is_file():
        return None
    from omegaconf import OmegaConf

    model = OmegaConf.load(config).get("model") or {}
    source = model.get("init_checkpoint") or (
        None if model.get("tiny") is not None else model.get("name_or_path")
    )
    if not source:
        return None
    hub = not is_local_path(str(source))
    return Target(Path(str(source)).name, str(source), step=0, is_hub_id=hub)


def best_step(run_dir: Path) -> int | None:
    """The step validation found best: summary.json's, else the newest checkpoint's trainer_state.json's."""
    from openrs.training.summary import read_summary

    best = (read_summary(run_dir) or {}).get("best")
    if best:
        return int(best["step"])
    for checkpoint in reversed(checkpoint_dirs(run_dir)):
        try:
            step = json.loads((checkpoint / "trainer_state.json").read_text()).get("best_global_step")
        except (OSError, ValueError):
            continue
        return None if step is None else int(step)
    return None


def best_target(run_dir: Path, found: list[Path]) -> Target:
    """The run's best step as a target (step 0: its initial model); ConfigError without validation."""
    step = best_step(run_dir)
    if step is None:
        raise ConfigError(
            f"training run dir {run_dir} records no best step: train with validation.every > 0 "
            "(summary.json 'best'), or drop checkpoints=best"
        )
    target = _initial_model(run_dir) if step == 0 else None
    target = target or next(
        (Target(p.name, str(p), step=step) for p in found if checkpoint_step(p) == step), None
    )
    if target is None:
        raise ConfigError(f"training run dir {run_dir}: the best step {step} has no checkpoint on disk")
    return target


def run_dir_targets(run_dir: Path, selection: CheckpointsConfig) -> list[Target]:
    """Every `selection.every`-th checkpoint of a training run (first and last kept), plus step 0; or the best."""
    ckpt_root = RunDir(run_dir).checkpoints
    found = [p for p in checkpoint_dirs(run_dir) if _is_model_dir(p)]
    if selection.best:
        return [best_target(run_dir, found)]
    if not found:
        raise ConfigError(
            f"training run dir {run_dir} has no checkpoints (expected {ckpt_root}/checkpoint-N/config.json)"
        )
    chosen = found[:: selection.every]
    if chosen[-1] != found[-1]:
        chosen.append(found[-1])
    targets = [Target(p.name, str(p), step=checkpoint_step(p)) for p in chosen]
    initial = _initial_model(run_dir) if selection.include_init else None
    return ([initial] if initial else []) + targets


def resolve_targets(model_path: str, selection: CheckpointsConfig) -> list[Target]:
    """The models `model_path` names, in step order; ConfigError when it names nothing loadable."""
    if not model_path:
        raise ConfigError(
            "model_path is empty; give a Hub id, a model dir, a checkpoint or a training run dir"
        )
    if not is_local_path(model_path):
        return [Target(model_path.rstrip("/").split("/")[-1], model_path, is_hub_id=True)]
    path = Path(model_path).expanduser().resolve()
    if not path.exists():
        raise ConfigError(f"model_path not found: {model_path}")
    if _is_model_dir(path):
        return [Target(path.name, str(path), step=checkpoint_step(path))]
    if path.is_dir() and any((path / marker).exists() for marker in RUN_DIR_MARKERS):
        return run_dir_targets(path, selection)
    raise ConfigError(
        f"model_path {model_path} is neither a model dir (config.json) nor a training run dir (checkpoints/)"
    )


def check_hub_targets(targets: list[Target], revision: str, timeout_s: float) -> None:
    """Hub ids need the Hub unless already in the local cache; fail in one line before loading."""
    from openrs import hub

    sources = [hub.Source("model", t.path, revision) for t in targets if t.is_hub_id]
    hub.require(
        sources, timeout_s, "point model_path at a local model dir, a checkpoint-N dir or a training run dir"
    )
