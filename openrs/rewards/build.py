"""Build TRL reward functions and weights from the `reward.funcs` config entries."""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from openrs.errors import ConfigError

# Keys of a reward entry that are not parameters of the function.
_META_KEYS = ("_target_", "_partial_", "weight")
# Arguments TRL supplies on every call; a config may not set them.
_CALL_ARGS = ("completions", "answer", "prompts", "completion_ids", "trainer_state")


def _resolve_target(name: str, target: Any) -> Callable[..., Any]:
    if not isinstance(target, str) or "." not in target:
        raise ConfigError(
            f"reward.funcs.{name}._target_: expected a dotted path like 'openrs.rewards.accuracy_reward', got {target!r}"
        )
    module_name, _, attr = target.rpartition(".")
    try:
        func = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise ConfigError(f"reward.funcs.{name}._target_: cannot import {target!r} ({err})") from None
    if not callable(func):
        raise ConfigError(f"reward.funcs.{name}._target_: {target!r} is not callable")
    return func


def reward_parameters(func: Callable[..., Any]) -> list[str]:
    """The names a config may set on a reward function (its keyword parameters, minus TRL's call arguments)."""
    params = inspect.signature(func).parameters.values()
    return [
        p.name
        for p in params
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in _CALL_ARGS
    ]


def _check_values(name: str, bound: Callable[..., Any], allowed: list[str]) -> None:
    # Our rewards check their parameters even on an empty batch, so a bad value fails before training.
    try:
        bound([], answer=[], completion_ids=[])
    except ConfigError as err:
        raise ConfigError(f"reward.funcs.{name}: {err}") from None
    except (TypeError, ValueError) as err:
        raise ConfigError(
            f"reward.funcs.{name}: bad parameters ({err}); allowed: {', '.join(allowed)}"
        ) from None


def build_reward_funcs(
    specs: Mapping[str, Mapping[str, Any]],
) -> tuple[list[Callable[..., Any]], list[float]]:
    """Resolve each `{_target_, weight, ...params}` entry into a bound reward function and its weight."""
    funcs: list[Callable[..., Any]] = []
    weights: list[float] = []
    for name, spec in specs.items():
        if spec is None:
            continue
        if not isinstance(spec, Mapping):
            raise ConfigError(
                f"reward.funcs.{name}: expected a mapping with _target_ and weight, got {spec!r}"
            )
        weight = spec.get("weight", 1.0)
        if not isinstance(weight, int | float) or isinstance(weight, bool):
            raise ConfigError(f"reward.funcs.{name}.weight: expected a number, got {weight!r}")
        if weight == 0:
            continue
        target = spec.get("_target_")
        func = _resolve_target(name, target)
        params = {k: v for k, v in spec.items() if k not in _META_KEYS}
        allowed = reward_parameters(func)
        for key in params:
            if key not in allowed:
                raise ConfigError(
                    f"reward.funcs.{name}.{key}: not a parameter of {getattr(func, '__name__', target)}; "
                    f"allowed: {', '.join(allowed)}"
                )
        bound = functools.partial(func, **params) if params else func
        if getattr(func, "__module__", "").startswith("openrs.rewards"):
            _check_values(name, bound, allowed)
        funcs.append(bound)
        weights.append(float(weight))
    return funcs, weights
