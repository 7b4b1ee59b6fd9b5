"""Accuracy rewards: math-verify on the completion's answer (openrs's check or Open RS's), plain or length-scaled."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from openrs.errors import ConfigError
from openrs.rewards.answers import Verdict
from openrs.rewards.checks import CheckKind
from openrs.rewards.completions import LengthUnit, check_length_unit, completion_lengths, completion_texts
from openrs.rewards.open_rs import BoxedNormalization
from openrs.rewards.pool import check_answers
from openrs.rewards.stats import checked_by, record_reward_metric, timed_reward

Checker = Literal["boxed", "open_rs"]
# The dataset column each check reads its gold from.
GOLD_COLUMNS = {
    CheckKind.BOXED: "answer",
    CheckKind.OPEN_RS: "solution",
    CheckKind.OPEN_RS_BOXED_TRUE: "solution",
}


def check_pool_params(reward: str, num_workers: int, timeout_s: float) -> None:
    """Raise ConfigError unless `num_workers` >= 0 and `timeout_s` > 0."""
    if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
        raise ConfigError(f"{reward}: num_workers must be an integer >= 0, got {num_workers!r}")
    if not isinstance(timeout_s, int | float) or isinstance(timeout_s, bool) or timeout_s <= 0:
        raise ConfigError(f"{reward}: timeout_s must be a positive number of seconds, got {timeout_s!r}")


def check_kind(checker: str, reward: str, open_rs_boxed: BoxedNormalization = "all") -> CheckKind:
    """The check a reward's `checker` names; Open RS's accuracy reward normalised boxed="all", its others True."""
    if checker == "boxed":
        return CheckKind.BOXED
    if checker == "open_rs":
        return CheckKind.OPEN_RS if open_rs_boxed == "all" else CheckKind.OPEN_RS_BOXED_TRUE
    raise ConfigError(f"{reward}: checker must be 'boxed' or 'open_rs', got {checker!r}")


def gold_column(kind: CheckKind, answer: Sequence[str] | None, solution: Sequence[str] | None) -> Any:
    """The gold values a check reads: `solution` for Open RS's checks, `answer` for openrs's."""
    return answer if kind is CheckKind.BOXED else solution


def score_answers(
    completions: Sequence[Any],
    golds: Sequence[str | None] | None,
    *,
    kind: CheckKind,
    num_workers: int,
    timeout_s: float,
) -> tuple[list[str], list[Verdict]]:
    """The completions' texts and their verdicts against the gold column `kind` reads, each check bounded."""
    texts = completion_texts(completions)
    column = GOLD_COLUMNS[kind]
    if golds is None:
        raise ValueError(
            f"the reward's checker reads the dataset column {column!r}, which this batch lacks "
            "(checker 'boxed' reads 'answer', 'open_rs' reads 'solution')"
        )
    # A null gold is no gold: str(None) would parse as the product N*o*n*e.
    gold_texts = [str(g) if g is not None else "" for g in golds]
    if len(gold_texts) != len(texts):
        raise ValueError(
            f"got {len(texts)} completions but {len(gold_texts)} golds (dataset column {column!r})"
        )
    verdicts = check_answers(gold_texts, texts, num_workers=num_workers, timeout_s=timeout_s, kind=kind)
    record_reward_metric("timeouts", sum(v == Verdict.TIMEOUT for v in verdicts))
    record_reward_metric("gold_unparseable", sum(v == Verdict.GOLD_UNPARSEABLE for v in verdicts))
    return texts, verdicts


def _check_accuracy_params(*, checker: str, num_workers: int, timeout_s: float, **_: Any) -> None:
    check_pool_params("accuracy_reward", num_workers, timeout_s)
    check_kind(checker, "accuracy_reward")


@checked_by(_check_accuracy_params)
@timed_reward
def accuracy_reward(
    completions: Sequence[Any],
    answer: Sequence[str] | None = None,
    *,
    solution: Sequence[str] | None = None,
    checker: Checker = "boxed",
    unparseable_gold_reward: float | None = 0.0,
    num_workers: int = 2,
    timeout_s: float = 5.0,
    **kwargs: Any,
) -> list[float | None]:
    """1.0 when the completion's answer equals the gold by math-verify, else 0.0.

    `checker="boxed"` (openrs): the completion's last `\\boxed{}` against the `answer` column.
    `checker="open_rs"` (the paper's code): the whole completion, parsed as Open RS parsed it, against
    the `solution` column (see open_rs.py). A gold math-verify cannot parse scores
    `unparseable_gold_reward` (Open RS: 1.0; None makes TRL ignore the row for this reward). A check
    past `timeout_s` scores 0.0. `num_workers` checker processes share the checks (0 means 1).
    """
    _check_accuracy_params(checker=checker, num_workers=num_workers, timeout_s=timeout_s)
    kind = check_kind(checker, "accuracy_reward")
    golds = gold_column(kind, answer, solution)
    _, verdicts = score_answers(completions, golds, kind=kind, num_workers=num_workers, timeout_s=timeout_s)
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


def _check_cosine_params(
    *, checker: str, num_workers: int, timeout_s: float, length_unit: str, max_len: int, **_: Any
) -> None:
    check_pool_params("cosine_scaled_reward", num_workers, timeout_s)
    check_length_unit(length_unit, "cosine_scaled_reward")
    check_kind(checker, "cosine_scaled_reward")
    if not isinstance(max_len, int) or isinstance(max_len, bool) or max_len <= 0:
        raise ConfigError(f"cosine_scaled_reward: max_len must be a positive integer, got {max_len!r}")


@checked_by(_check_cosine_params)
@timed_reward
def cosine_scaled_reward(
    completions: Sequence[Any],
    answer: Sequence[str] | None = None,
    *,
    solution: Sequence[str] | None = None,
    checker: Checker = "boxed",
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
    lengths, no clamp (lengths past `max_len` wrapped around the cosine), `checker="open_rs"` (with
    boxed=True normalisation) and 1.0 for an unparseable gold.
    """
    _check_cosine_params(
        checker=checker,
        num_workers=num_workers,
        timeout_s=timeout_s,
        length_unit=length_unit,
        max_len=max_len,
    )
    kind = check_kind(checker, "cosine_scaled_reward", open_rs_boxed=True)
    golds = gold_column(kind, answer, solution)
    texts, verdicts = score_answers(
        completions, golds, kind=kind, num_workers=num_workers, timeout_s=timeout_s
    )
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
