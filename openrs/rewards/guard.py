"""Reward functions as training calls them, watched: a raise, a wrong count, inf, or NaN/None beyond a
limit stops the run in one line naming the reward entry and a row; NaN, inf and None are counted."""

from __future__ import annotations

import functools
import inspect
import math
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from openrs.errors import ConfigError, RewardError
from openrs.rewards.stats import record_reward_metric

if TYPE_CHECKING:  # build.py wraps its rewards with this module: only the type comes from there
    from openrs.rewards.build import NamedReward

_SAMPLE_CHARS = 80  # of a completion or column value quoted in the one-line error
_NOT_ROWS = ("trainer_state", "log_extra", "log_metric", "environments")  # TRL's non-column arguments


class GuardedReward:
    """A reward function for TRL that counts its NaN, inf and None values in metrics.jsonl
    (`rewards/<function>/nan`, `/inf`, `/none`) and raises RewardError, in one line, when it misbehaves.

    It stops the run when the function raises, returns other than one value per completion, returns
    inf (the group's advantages would be NaN), or returns NaN/None for every row of a batch or for
    more than `max_invalid_share` of the rows of its last `window` batches (`None`: neither check).
    """

    def __init__(self, reward: NamedReward, max_invalid_share: float | None = 0.5, window: int = 10):
        if max_invalid_share is not None and not 0 <= max_invalid_share <= 1:
            raise ConfigError(
                f"reward.max_invalid_share={max_invalid_share} is not allowed: must be in [0, 1]"
            )
        if window < 1:
            raise ConfigError(f"reward.invalid_window={window} is not allowed: must be >= 1")
        self.reward, self.max_invalid_share = reward, max_invalid_share
        self.__name__ = _function_name(reward.func)  # TRL names its rewards/<name>/mean metrics after it
        self._batches: deque[tuple[int, int]] = deque(maxlen=window)  # (invalid, rows) per batch

    @property
    def entry(self) -> str:
        """The config entry this reward came from, as a user would override it."""
        return f"reward.funcs.{self.reward.name}"

    def __call__(self, *args: Any, **kwargs: Any) -> list[float | None]:
        rows = _rows(args, kwargs)
        try:
            values = self.reward.func(*args, **kwargs)
        except Exception as err:
            raise self._raised(err, args, kwargs, rows) from err
        returned = values
        try:  # a list, a tuple, a numpy array: TRL reads any of them
            values = None if isinstance(values, str | bytes | dict) else list(values)
        except TypeError:
            values = None
        if values is None or len(values) != len(rows):
            count = f"a {type(returned).__name__}" if values is None else f"{len(values)} values"
            raise RewardError(
                f"{self.entry} ({self.__name__}) returned {count} for {len(rows)} completions{_step(kwargs)}; "
                f"a reward returns one float (or None) per completion (the first: {_sample(rows, 0, kwargs)})"
            )
        self._check_values(values, rows, kwargs)
        return values

    def _check_values(self, values: Sequence, rows: Sequence, kwargs: dict) -> None:
        kinds = [_kind(v) for v in values]
        for kind in ("nan", "inf", "none"):
            record_reward_metric(f"{self.__name__}/{kind}", kinds.count(kind))
        for kind, what in (("bad", "returned a value that is not a number"), ("inf", "returned inf")):
            if kind in kinds:
                self._stop(what, kinds.index(kind), rows, kwargs)
        invalid = [i for i, kind in enumerate(kinds) if kind in ("nan", "none")]
        self._batches.append((len(invalid), len(kinds)))
        if self.max_invalid_share is None or not invalid:
            return
        if len(invalid) == len(kinds):
            self._stop(f"returned NaN or None for all {len(kinds)} rows of a batch", invalid[0], rows, kwargs)
        bad, total = map(sum, zip(*self._batches, strict=True))
        if bad > self.max_invalid_share * total:
            self._stop(
                f"returned NaN or None for {bad} of {total} rows over its last {len(self._batches)} batch(es), "
                f"more than reward.max_invalid_share={self.max_invalid_share}",
                invalid[0], rows, kwargs,
            )  # fmt: skip

    def _stop(self, what: str, row: int, rows: Sequence, kwargs: dict) -> None:
        raise RewardError(
            f"{self.entry} ({self.__name__}) {what}{_step(kwargs)}, e.g. for row {row}: "
            f"{_sample(rows, row, kwargs)}; fix the "
            f"reward, remove it ({self.entry}=null) or, if None is meant for some rows, set "
            "reward.max_invalid_share=null"
        )

    def _raised(self, err: Exception, args: tuple, kwargs: dict, rows: Sequence) -> RewardError:
        """The error naming the first row that raises alone (the batch, if none does) and the exception."""
        row = 0 if len(rows) == 1 else None
        for index in range(len(rows)) if len(rows) > 1 else ():
            one_args, one_kwargs = _one_row(args, kwargs, index, len(rows))
            try:
                self.reward.func(*one_args, **one_kwargs)
            except Exception as row_err:
                row, err = index, row_err
                break
        where = (
            f"row {row} ({_sample(rows, row, kwargs)})" if row is not None else f"a batch of {len(rows)} rows"
        )
        reason = str(err).splitlines()[0] if str(err) else "(no message)"
        return RewardError(
            f"{self.entry} ({self.__name__}) raised {type(err).__name__}: {reason}, on {where}{_step(kwargs)}"
        )


def guard_rewards(
    rewards: Sequence[NamedReward], max_invalid_share: float | None = 0.5, window: int = 10
) -> list[Callable[..., Any]]:
    """Each reward as a GuardedReward, but async ones (TRL awaits them) as they are."""
    return [r.func if _is_async(r.func) else GuardedReward(r, max_invalid_share, window) for r in rewards]


def _kind(value: Any) -> str:
    if value is None:
        return "none"
    try:
        number = float(value)  # numpy and torch scalars too
    except (TypeError, ValueError):
        return "bad"
    if isinstance(value, str | bytes):
        return "bad"
    return "ok" if math.isfinite(number) else "nan" if math.isnan(number) else "inf"


def _step(kwargs: dict) -> str:
    """ " at step N" for the step being trained (TRL passes its state), else nothing."""
    done = getattr(kwargs.get("trainer_state"), "global_step", None)
    return f" at step {done + 1}" if isinstance(done, int) else ""


def _rows(args: tuple, kwargs: dict) -> Sequence:
    rows = kwargs.get("completions", args[0] if args else None)
    return rows if isinstance(rows, Sequence) else []


def _one_row(args: tuple, kwargs: dict, index: int, n: int) -> tuple[tuple, dict]:
    """The call's arguments for row `index` alone: each per-row list cut to that row."""

    def cut(value: Any) -> Any:
        is_rows = isinstance(value, list | tuple) and len(value) == n
        return value[index : index + 1] if is_rows else value

    one_kwargs = {k: v if k in _NOT_ROWS else cut(v) for k, v in kwargs.items()}
    return tuple(cut(a) for a in args), one_kwargs


def _sample(rows: Sequence, index: int, kwargs: dict) -> str:
    """The row's completion and the dataset columns it was scored against, quoted and cut short."""
    completion = rows[index] if index < len(rows) else None
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        completion = completion[-1].get("content")  # a conversation: the assistant's message
    parts = [f"completion {_quote(completion)}"]
    for key, value in kwargs.items():
        skip = key in (*_NOT_ROWS, "completions", "prompts", "completion_ids")
        if not skip and isinstance(value, list | tuple) and len(value) == len(rows):
            parts.append(f"{key} {_quote(value[index])}")
    return ", ".join(parts)


def _quote(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SAMPLE_CHARS else text[: _SAMPLE_CHARS - 4] + "...'"


def _function_name(func: Callable[..., Any]) -> str:
    while isinstance(func, functools.partial):
        func = func.func
    return getattr(func, "__name__", type(func).__name__)


def _is_async(func: Callable[..., Any]) -> bool:
    while isinstance(func, functools.partial):
        func = func.func
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(type(func).__call__)
