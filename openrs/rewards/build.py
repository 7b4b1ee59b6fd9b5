"""Build TRL reward functions and weights from the `reward.funcs` config entries.

Each entry is `{_target_, _partial_: true, weight, ...params}`; `hydra.utils.instantiate` binds the
params to the function. Before that, the params are bound to the function's signature (a misspelled
one is a one-line error naming it) and its values are checked by the function's `check_params`, if it
has one, so a bad value fails before any model loads.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from openrs.errors import ConfigError
from openrs.rewards.guard import guard_rewards

if TYPE_CHECKING:
    from openrs.config.schema import RewardConfig

# Keys of a reward entry that are not parameters of the function.
_META_KEYS = ("_target_", "_partial_", "weight")
# Arguments TRL supplies on every call (the dataset's columns too); a config may not set them.
_CALL_ARGS = ("completions", "answer", "solution", "prompts", "completion_ids", "trainer_state")


class NamedReward(NamedTuple):
    """A reward function bound to its config params, with its entry name and weight."""

    name: str
    func: Callable[..., list[float | None]]
    weight: float


def _resolve_target(name: str, target: Any) -> Callable[..., Any]:
    from hydra.utils import get_method

    if not isinstance(target, str) or "." not in target:
        raise ConfigError(
            f"reward.funcs.{name}._target_: expected a dotted path like 'openrs.rewards.accuracy_reward', got {target!r}"
        )
    try:
        return get_method(target)
    except Exception as err:  # hydra wraps ImportError/AttributeError/not-callable alike
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(f"reward.funcs.{name}._target_: cannot import {target!r} ({reason})") from None


def reward_parameters(func: Callable[..., Any]) -> list[str]:
    """The names a config may set on a reward function (its keyword parameters, minus TRL's call arguments)."""
    params = inspect.signature(func).parameters.values()
    return [
        p.name
        for p in params
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in _CALL_ARGS
    ]


def bind_params(name: str, func: Callable[..., Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Bind `params` to the function's configurable parameters; every parameter's value, defaults included."""
    allowed = reward_parameters(func)
    signature = inspect.signature(func)
    # Without **kwargs (TRL passes the dataset's columns through it), a misspelled name does not bind.
    configurable = signature.replace(parameters=[signature.parameters[p] for p in allowed])
    for key in params:  # name the first that does not bind, with what would
        try:
            configurable.bind_partial(**{key: params[key]})
        except TypeError:
            raise ConfigError(
                f"reward.funcs.{name}.{key}: not a parameter of {getattr(func, '__name__', func)}; "
                f"allowed: {', '.join(allowed) or '(none)'}"
            ) from None
    bound = configurable.bind_partial(**params)
    bound.apply_defaults()
    return dict(bound.arguments)


def gold_column_of(reward: NamedReward) -> str | None:
    """The dataset column a reward reads its gold from (by its `checker`), or None if it reads none."""
    func = getattr(reward.func, "func", reward.func)
    parameter = inspect.signature(func).parameters.get("checker")
    if parameter is None:
        return None
    checker = getattr(reward.func, "keywords", {}).get("checker", parameter.default)
    return "solution" if checker == "open_rs" else "answer"


def build_named_reward_funcs(specs: Mapping[str, Mapping[str, Any]]) -> list[NamedReward]:
    """Each `{_target_, weight, ...params}` entry with a non-zero weight, as a bound reward function."""
    from hydra.utils import instantiate

    rewards = []
    for name, spec in specs.items():
        if spec is None:  # removed with reward.funcs.<name>=null
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
        func = _resolve_target(name, spec.get("_target_"))
        params = {k: v for k, v in spec.items() if k not in _META_KEYS}
        values = bind_params(name, func, params)
        check = getattr(func, "check_params", None)
        if check is not None:
            try:
                check(**values)
            except ConfigError as err:
                raise ConfigError(f"reward.funcs.{name}: {err}") from None
        bound = instantiate({"_target_": spec["_target_"], "_partial_": True, **params})
        rewards.append(NamedReward(str(name), bound, float(weight)))
    return rewards


def build_reward_funcs(
    specs: Mapping[str, Mapping[str, Any]], guard: RewardConfig | None = None
) -> tuple[list[Callable[..., Any]], list[float]]:
    """The bound reward functions of the `reward.funcs` entries with a non-zero weight, and their weights.

    With `guard` (the reward config, for training), each is watched by openrs.rewards.guard: a raise,
    a wrong count, inf, or too many NaN/None values stop the run in one line naming the entry.
    """
    rewards = build_named_reward_funcs(specs)
    if guard is not None:
        funcs = guard_rewards(rewards, guard.max_invalid_share, guard.invalid_window)
        return funcs, [r.weight for r in rewards]
    return [r.func for r in rewards], [r.weight for r in rewards]
