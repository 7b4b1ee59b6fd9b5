"""Rewards that misbehave while training: counted, and stopped in one line naming the entry and a row."""

from __future__ import annotations

import math
from typing import Any

import pytest

from openrs.errors import ConfigError, RewardError
from openrs.rewards import build_reward_funcs, pop_reward_metrics
from openrs.rewards.guard import GuardedReward

COMPLETIONS = ["<think>\n2+2\n</think>\n\\boxed{4}", "\\boxed{5}", "no answer", "\\boxed{4}"]
ANSWERS = ["4", "4", "4", "4"]


class _State:
    global_step = 6


def table_reward(completions: list[Any], *, values: list | None = None, **kwargs: Any) -> list:
    """Returns the configured values, whatever the completions."""
    return list(values)


def raising_reward(completions: list[Any], **kwargs: Any) -> list[float]:
    """Raises on the completion without a box."""
    if any("boxed" not in c for c in completions):
        raise ValueError("cannot parse 'no answer'")
    return [1.0] * len(completions)


def batch_only_raising_reward(completions: list[Any], **kwargs: Any) -> list[float]:
    """Raises only when given more than one completion."""
    if len(completions) > 1:
        raise RuntimeError("batch too large")
    return [1.0]


def _guarded(target: str, max_invalid_share: float | None = 0.5, window: int = 10, **params: Any):
    class Limits:
        pass

    limits = Limits()
    limits.max_invalid_share, limits.invalid_window = max_invalid_share, window
    spec = {"_target_": f"{__name__}.{target}", "_partial_": True, "weight": 1.0, **params}
    (func,), _ = build_reward_funcs({"mine": spec}, guard=limits)
    return func


def _call(func, completions=COMPLETIONS):
    return func(
        prompts=["p"] * len(completions),
        completions=completions,
        completion_ids=[[1]] * len(completions),
        answer=ANSWERS[: len(completions)],
        trainer_state=_State(),
        log_metric=lambda *a, **k: None,
    )


def test_a_guarded_reward_returns_the_values_and_keeps_trls_name():
    from trl.trainer.utils import get_callable_name

    func = _guarded("table_reward", values=[1.0, 0.0, None, 0.5])
    assert isinstance(func, GuardedReward) and get_callable_name(func) == "table_reward"
    pop_reward_metrics()
    assert _call(func) == [1.0, 0.0, None, 0.5]
    metrics = pop_reward_metrics()
    assert (metrics["rewards/table_reward/none"], metrics["rewards/table_reward/nan"]) == (1, 0)
    assert metrics["rewards/table_reward/inf"] == 0


def test_nan_none_and_inf_are_counted_per_reward():
    func = _guarded("table_reward", max_invalid_share=None, values=[math.nan, None, 1.0, math.nan])
    pop_reward_metrics()
    _call(func)
    _call(func)
    metrics = pop_reward_metrics()
    assert (metrics["rewards/table_reward/nan"], metrics["rewards/table_reward/none"]) == (4, 2)


@pytest.mark.parametrize(
    ("target", "params", "limit", "calls", "expected"),
    [
        ("table_reward", {"values": [None] * 4}, 0.5, 1,
         "reward.funcs.mine (table_reward) returned NaN or None for all 4 rows of a batch at step 7, e.g. for row 0: "
         "completion '<think>\\n2+2\\n</think>\\n\\\\boxed{4}', answer '4'; fix the reward, remove it "
         "(reward.funcs.mine=null) or, if None is meant for some rows, set reward.max_invalid_share=null"),
        ("table_reward", {"values": [math.nan] * 4}, 0.5, 1, "returned NaN or None for all 4 rows of a batch"),
        # 3 of 4 rows, twice: 6 of 8 > 0.5 (a first batch of 3 of 4 already is)
        ("table_reward", {"values": [None, None, None, 1.0]}, 0.5, 1,
         "returned NaN or None for 3 of 4 rows over its last 1 batch(es), more than reward.max_invalid_share=0.5 at "
         "step 7, e.g. for row 0"),
        ("table_reward", {"values": [None, 1.0, 1.0, 1.0]}, 0.3, 2, None),  # 2 of 8 <= 0.3
        ("table_reward", {"values": [None, 1.0, 1.0, 1.0]}, 0.2, 1, "returned NaN or None for 1 of 4 rows over its last 1 batch(es)"),
        ("table_reward", {"values": [None] * 4}, None, 3, None),  # null: None is meant
        ("table_reward", {"values": [1.0, math.inf, 0.0, 0.0]}, None, 1,
         "reward.funcs.mine (table_reward) returned inf at step 7, e.g. for row 1: completion '\\\\boxed{5}'"),
        ("table_reward", {"values": [1.0, "0.5", 0.0, 0.0]}, 0.5, 1, "returned a value that is not a number at step 7, e.g. for row 1"),
        ("table_reward", {"values": [1.0, 0.0]}, 0.5, 1,
         "reward.funcs.mine (table_reward) returned 2 values for 4 completions at step 7; a reward returns one float"),
        ("raising_reward", {}, 0.5, 1,
         "reward.funcs.mine (raising_reward) raised ValueError: cannot parse 'no answer', on row 2 (completion "
         "'no answer', answer '4') at step 7"),
        ("batch_only_raising_reward", {}, 0.5, 1,
         "reward.funcs.mine (batch_only_raising_reward) raised RuntimeError: batch too large, on a batch of 4 rows"),
    ],
)  # fmt: skip
def test_a_misbehaving_reward_stops_training_in_one_line(target, params, limit, calls, expected):
    func = _guarded(target, max_invalid_share=limit, **params)
    if expected is None:
        for _ in range(calls):
            _call(func)
        return
    with pytest.raises(RewardError) as err:
        for _ in range(calls):
            _call(func)
    message = str(err.value)
    assert expected in message and "\n" not in message, message


def test_the_share_is_over_the_last_window_of_batches():
    func = _guarded("table_reward", max_invalid_share=0.5, window=2, values=[1.0] * 4)
    _call(func)
    _call(func)
    func.reward.func.keywords["values"] = [None, None, None, 1.0]
    _call(func)  # the last two batches: 3 of 8
    with pytest.raises(RewardError, match=r"for 6 of 8 rows over its last 2 batch"):
        _call(func)  # 6 of 8 (of all four batches: 6 of 16, under half)


def test_a_conversation_completion_is_quoted_by_its_content():
    func = _guarded("table_reward", values=[None])
    with pytest.raises(RewardError, match="completion 'hi'"):
        _call(func, [[{"role": "assistant", "content": "hi"}]])


@pytest.mark.parametrize(("share", "window"), [(1.5, 10), (-0.1, 10), (0.5, 0)])
def test_bad_limits_are_one_line(share, window):
    with pytest.raises(ConfigError, match=r"reward\.(max_invalid_share|invalid_window)=.* is not allowed"):
        _guarded("table_reward", max_invalid_share=share, window=window, values=[1.0])


def test_without_limits_rewards_are_the_bound_partials():
    (func,), _ = build_reward_funcs({"mine": {"_target_": f"{__name__}.table_reward", "values": [1.0]}})
    assert not isinstance(func, GuardedReward) and func.keywords == {"values": [1.0]}
