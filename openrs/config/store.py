"""Registers the schemas with Hydra and turns a composed DictConfig into typed dataclasses."""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Iterable, Iterator
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


def schema_keys(schema: type, prefix: str = "") -> Iterator[str]:
    """Every dotted key of a dataclass schema, those of the dataclasses nested in it included."""
    hints = typing.get_type_hints(schema)
    for field in dataclasses.fields(schema):
        yield prefix + field.name
        hint = hints[field.name]
        nested = [
            t for t in (*typing.get_args(hint), hint) if isinstance(t, type) and dataclasses.is_dataclass(t)
        ]
        if nested:
            yield from schema_keys(nested[0], f"{prefix}{field.name}.")


def _nearest(name: str, names: Iterable[str]) -> str | None:
    match = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return match[0] if match else None


def nearest_keys(key: str, prefix: str, siblings: list[str], schema: Any = None) -> list[str]:
    """The valid keys a misspelled `prefix + key` most likely meant: the closest sibling, or else the
    keys of `schema` (the siblings' dataclass) whose last part is closest (`max_steps` -> trainer.max_steps)."""
    near = _nearest(key, siblings)
    if near is not None:
        return [prefix + near]
    if not dataclasses.is_dataclass(schema):
        return []
    by_leaf: dict[str, list[str]] = {}
    for dotted in schema_keys(schema):
        by_leaf.setdefault(dotted.rpartition(".")[2], []).append(prefix + dotted)
    near = _nearest(key, by_leaf)
    return by_leaf[near][:3] if near is not None else []


def did_you_mean(keys: list[str]) -> str:
    """` (did you mean a or b?)`, or nothing without a suggestion."""
    return f" (did you mean {' or '.join(keys)}?)" if keys else ""


def to_typed(cfg: DictConfig, schema: type[T] = TrainConfig) -> T:
    """Resolve interpolations and convert a composed config into its dataclass; unknown keys fail."""
    unknown = unknown_keys(cfg, schema)
    if unknown:
        path, owner = unknown[0]
        fields = [f.name for f in dataclasses.fields(owner)]
        prefix, _, key = path.rpartition(".")
        near = nearest_keys(key, f"{prefix}." if prefix else "", fields, owner)
        raise ConfigError(
            f"unknown config key '{path}'{did_you_mean(near)}; {owner.__name__} has: {', '.join(fields)}"
        )
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(schema), cfg))
