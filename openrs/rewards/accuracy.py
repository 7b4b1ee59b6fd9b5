"""Accuracy rewards: math-verify on the final boxed answer, plain or scaled by length."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from openrs.errors import ConfigError
from openrs.rewards.answers import Verdict
from openrs.rewards.completions import LengthUnit, check_length_unit, completion_lengths, completion_texts
from openrs.rewards.pool import check_answers
from openrs.rewards.stats import record_reward_metric, timed_reward


def check_pool_params(reward: str, num_workers: int, timeout_s: float) -> None:
    """Raise ConfigError unless `num_workers` >= 0 and `timeout_s` > 0."""
    if not isinstance(num_workers, int) or num_workers < 0:
        raise ConfigError(f"{reward}: num_workers must be an integer >= 0, got {num_workers!r}")
    if not isinstance(timeout_s, int | float) or timeout_s <= 0:
        raise ConfigError(f"{reward}: timeout_s must be a positive number of seconds, got {timeout_s!r}")


def score_answers(
    completions: Sequence[Any], answer: Sequence[str] | None, *, num_workers: int, timeout_s: float
) -> tuple[list[str], list[Verdict]]:
    """The completions' texts and their verdicts against the gold answers, each check bounded in time."""
    texts = completion_texts(completions)
    golds = [str(a) if a is not None else "" for a in (answer or [])]
    if len(golds) != len(texts):
        raise ValueError(
            f"got {len(texts)} completions but {len(golds)} gold answers (dataset column 'answer')"
        )
    verdicts = check_answers(golds, texts, num_workers=num_workers, timeout_s=timeout_s)
    record_reward_metric("timeouts", sum(v == Verdict.TIMEOUT for v in verdicts))
    record_reward_metric("gold_unparseable", sum(v == Verdict.GOLD_UNPARSEABLE for v in verdicts))
    return texts, verdicts


@timed_reward
def accuracy_reward(
    completions: Sequence[Any],
    answer: Sequence[str] | None = None,
    *,
    unparseable_gold_reward: float | None = 0.0,
    num_workers: int = 2,
    timeout_s: float = 5.0,
    **kwargs: Any,
) -> list[float | None]:
    """1.0 when the completion's last \\boxed{} answer equals the gold by math-verify, else 0.0.

    A gold answer math-verify cannot parse scores `unparseable_gold_reward` (Open RS used 1.0; None
    makes TRL ignore the row for this reward). A check past `timeout_s` scores 0.0. `num_workers` > 1
    spreads checks over that many processes; 0 or 1 checks in this process.
    """
    check_pool_params("accuracy_reward", num_workers, timeout_s)
    _, verdicts = score_answers(completions, answer, num_workers=num_workers, timeout_s=timeout_s)
    return [
        unparseable_gold_reward if v == Verdict.GOLD_UNPARSEABLE else float(v == Verdict.CORRECT)
        for v in verdicts
    ]


def cosine_reward_value(
    length: int,
    correct: bool,
    *,
    min_value_wrong: float,
    max_value_wrong: float,
    min_value_correct: float,
    max_value_correct: float,
    max_len: int,
    clamp: bool,
) -> float:
    """The cosine-scheduled reward of one completion of `length` (Yeo et al. 2025, Kimi 1.5)."""
    progress = length / max_len
    if clamp:
        progress = min(progress, 1.0)
    cosine = math.cos(progress * math.pi)
    # At length 0 the reward is `start`; at max_len it is `end`; the cosine interpolates between.
    start, end = (max_value_correct, min_value_correct) if correct else (min_value_wrong, max_value_wrong)
    return end + 0.5 * (start - end) * (1.0 + cosine)


@timed_reward
def cosine_scaled_reward(
    completions: Sequence[Any],
    answer: Sequence[str] | None = None,
    *,
    min_value_wrong: float = -0.5,
    max_value_wrong: float = 0.0,
    min_value_correct: float = 0.5,
    max_value_correct: float = 1.0,
    max_len: int = 1000,
    length_unit: LengthUnit = "tokens",
    clamp: bool = True,
    unparseable_gold_reward: float | None = 0.0,
    num_workers: int = 2,
    timeout_s: float = 5.0,
    completion_ids: Sequence[Sequence[int]] | None = None,
    **kwargs: Any,
) -> list[float | None]:
    """Accuracy scaled by length with a cosine: short correct answers earn most, short wrong ones lose most.

    Correct answers go from `max_value_correct` (empty) to `min_value_correct` (at `max_len`); wrong
    ones from `min_value_wrong` (empty) to `max_value_wrong` (at `max_len`). The defaults follow Yeo et
    al.: a long wrong answer, having tried harder, is punished less than a short one. Open RS (exp3)
    used min_value_wrong=0.0, max_value_wrong=-0.5 (long wrong answers punished more), character
    lengths, and no clamp, so lengths past `max_len` wrapped around the cosine.
    """
    check_pool_params("cosine_scaled_reward", num_workers, timeout_s)
    check_length_unit(length_unit, "cosine_scaled_reward")
    if not isinstance(max_len, int) or max_len <= 0:
        raise ConfigError(f"cosine_scaled_reward: max_len must be a positive integer, got {max_len!r}")
    texts, verdicts = score_answers(completions, answer, num_workers=num_workers, timeout_s=timeout_s)
    lengths = completion_lengths(texts, completion_ids, length_unit)
    values = dict(
        min_value_wrong=min_value_wrong,
        max_value_wrong=max_value_wrong,
        min_value_correct=min_value_correct,
        max_value_correct=max_value_correct,
        max_len=max_len,
        clamp=clamp,
    )
    return [
        unparseable_gold_reward
        if v == Verdict.GOLD_UNPARSEABLE
        else cosine_reward_value(n, v == Verdict.CORRECT, **values)
        for v, n in zip(verdicts, lengths, strict=True)
    ]
