"""Registers the schemas with Hydra and turns a composed DictConfig into typed dataclasses."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any, TypeVar

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from openrs.config.schema import (
    DatasetConfig,
    HardwareConfig,
    ModelConfig,
    OptimizerConfig,
    RewardConfig,
    TrainConfig,
    TrainerConfig,
)
from openrs.errors import ConfigError

GROUP_SCHEMAS = {
    "model": ModelConfig,
    "dataset": DatasetConfig,
    "reward": RewardConfig,
    "optimizer": OptimizerConfig,
    "hardware": HardwareConfig,
    "trainer": TrainerConfig,
}

T = TypeVar("T")
CONF_DIR = Path(__file__).resolve().parents[2] / "conf"  # the shipped config tree (an editable install's)


def register_configs() -> None:
    """Store the root schema and one `base_<group>` schema per group in Hydra's ConfigStore."""
    cs = ConfigStore.instance()
    cs.store(name="base_train", node=TrainConfig)
    for group, schema in GROUP_SCHEMAS.items():
        cs.store(group=group, name=f"base_{group}", node=schema)


def compose_config(overrides: list[str], config_name: str = "config") -> DictConfig:
    """The config `python -m openrs.train OVERRIDES` would run, composed without Hydra's CLI (scripts, notebooks)."""
    from hydra import compose, initialize_config_dir

    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(config_name, overrides=list(overrides))


def unknown_keys(node: Any, schema: type, prefix: str = "") -> list[tuple[str, type]]:
    """Keys in `node` that `schema` does not declare (Hydra's `+key=` bypasses struct mode)."""
    found = []
    hints = typing.get_type_hints(schema)
    fields = {f.name for f in dataclasses.fields(schema)}
    for key in node:
        path = f"{prefix}{key}"
        if key not in fields:
            found.append((path, schema))
            continue
        child_schema = next(
            (t for t in typing.get_args(hints[key]) or (hints[key],) if dataclasses.is_dataclass(t)), None
        )
        child = node.get(key) if isinstance(node, DictConfig) else None
        if child_schema is not None and isinstance(child, DictConfig):
            found += unknown_keys(child, child_schema, f"{path}.")
    return found


def to_typed(cfg: DictConfig, schema: type[T] = TrainConfig) -> T:
    """Resolve interpolations and convert a composed config into its dataclass; unknown keys fail."""
    unknown = unknown_keys(cfg, schema)
    if unknown:
        path, owner = unknown[0]
        allowed = ", ".join(f.name for f in dataclasses.fields(owner))
        raise ConfigError(f"unknown config key '{path}'; {owner.__name__} has: {allowed}")
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(schema), cfg))
