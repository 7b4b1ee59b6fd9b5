"""Reward metrics accumulate between two log lines and reset when popped."""

from __future__ import annotations

import pytest

from openrs.rewards import accuracy_reward, format_reward, pop_reward_metrics
from openrs.rewards.stats import record_reward_metric


def test_pop_returns_what_was_recorded_since_the_last_pop() -> None:
    pop_reward_metrics()
    format_reward(["<think>\nx\n</think>\n<answer>\n1\n</answer>"])
    accuracy_reward(["\\boxed{1/2}"], [""], num_workers=0)
    record_reward_metric("timeouts", 2)
    metrics = pop_reward_metrics()
    assert metrics["rewards/time_s"] == pytest.approx(
        metrics["rewards/format_reward/time_s"] + metrics["rewards/accuracy_reward/time_s"]
    )
    assert metrics["rewards/timeouts"] == 2
    assert metrics["rewards/gold_unparseable"] == 1
    assert pop_reward_metrics() == {"rewards/time_s": 0.0, "rewards/timeouts": 0.0}


def test_time_is_recorded_even_when_a_reward_raises() -> None:
    pop_reward_metrics()
    with pytest.raises(ValueError):
        accuracy_reward(["a", "b"], ["1"], num_workers=0)
    assert pop_reward_metrics()["rewards/accuracy_reward/time_s"] > 0
