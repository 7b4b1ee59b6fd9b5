"""Reward-time metrics accumulated between two trainer log lines."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

_lock = threading.Lock()
_counters: dict[str, float] = {}

F = TypeVar("F", bound=Callable[..., Any])


def record_reward_metric(key: str, value: float) -> None:
    """Add `value` to the metric `rewards/<key>` until the next `pop_reward_metrics`."""
    with _lock:
        name = f"rewards/{key}"
        _counters[name] = _counters.get(name, 0.0) + float(value)


def pop_reward_metrics() -> dict[str, float]:
    """Return the metrics recorded since the last call and reset them."""
    with _lock:
        metrics = {"rewards/time_s": 0.0, "rewards/timeouts": 0.0, **_counters}
        _counters.clear()
    return metrics


def timed_reward(func: F) -> F:
    """Decorate a reward function so the seconds spent inside it count in `rewards/time_s`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            record_reward_metric("time_s", elapsed)
            record_reward_metric(f"{func.__name__}/time_s", elapsed)

    return wrapper  # type: ignore[return-value]


def checked_by(check: Callable[..., None]) -> Callable[[F], F]:
    """Attach `check(**params)`, which raises ConfigError for a bad value: build_reward_funcs runs it first."""

    def attach(func: F) -> F:
        func.check_params = check  # type: ignore[attr-defined]
        return func

    return attach
