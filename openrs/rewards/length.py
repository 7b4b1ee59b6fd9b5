"""Length rewards: Kimi 1.5's group-relative length reward and DAPO's soft overlong punishment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openrs.errors import ConfigError
from openrs.rewards.accuracy import Checker, check_kind, check_pool_params, gold_column, score_answers
from openrs.rewards.answers import Verdict
from openrs.rewards.completions import LengthUnit, check_length_unit, completion_lengths, completion_texts
from openrs.rewards.stats import checked_by, timed_reward


def _groups(prompts: Sequence[Any] | None, n: int, group_by_prompt: bool) -> list[list[int]]:
    if not group_by_prompt or prompts is None or len(prompts) != n:
        return [list(range(n))] if n else []
    groups: dict[str, list[int]] = {}
    for i, prompt in enumerate(prompts):
        groups.setdefault(repr(prompt), []).append(i)
    return list(groups.values())


def _check_len_params(
    *, checker: str, num_workers: int, timeout_s: float, length_unit: str, **_: Any
) -> None:
    check_pool_params("len_reward", num_workers, timeout_s)
    check_length_unit(length_unit, "len_reward")
    check_kind(checker, "len_reward")


@checked_by(_check_len_params)
@timed_reward
def len_reward(
    completions: Sequence[Any],
    answer: Sequence[str] | None = None,
    *,
    solution: Sequence[str] | None = None,
    checker: Checker = "boxed",
    length_unit: LengthUnit = "tokens",
    group_by_prompt: bool = True,
    unparseable_gold_reward: float | None = 0.0,
    num_workers: int = 2,
    timeout_s: float = 5.0,
    prompts: Sequence[Any] | None = None,
    completion_ids: Sequence[Sequence[int]] | None = None,
    **kwargs: Any,
) -> list[float | None]:
    """Kimi 1.5's length reward: 0.5 - (len - min) / (max - min) within each prompt's group, at most 0 if wrong.

    Kimi measures min and max over the samples of one prompt; open-r1 and Open RS used the whole batch
    (`group_by_prompt: false`), characters and `checker="open_rs"`, and counted a completion against an
    unparseable gold as correct (openrs scores it `unparseable_gold_reward`). A group whose lengths are
    all equal scores 0.
    """
    _check_len_params(checker=checker, num_workers=num_workers, timeout_s=timeout_s, length_unit=length_unit)
    kind = check_kind(checker, "len_reward", open_rs_boxed=True)
    golds = gold_column(kind, answer, solution)
    texts, verdicts = score_answers(
        completions, golds, kind=kind, num_workers=num_workers, timeout_s=timeout_s
    )
    lengths = completion_lengths(texts, completion_ids, length_unit)
    rewards: list[float | None] = [0.0] * len(texts)
    for group in _groups(prompts, len(texts), group_by_prompt):
        shortest = min(lengths[i] for i in group)
        longest = max(lengths[i] for i in group)
        for i in group:
            if verdicts[i] == Verdict.GOLD_UNPARSEABLE:
                rewards[i] = unparseable_gold_reward
            elif longest > shortest:
                value = 0.5 - (lengths[i] - shortest) / (longest - shortest)
                rewards[i] = value if verdicts[i] == Verdict.CORRECT else min(0.0, value)
    return rewards


def _check_overlong_params(
    *, max_completion_len: int, soft_punish_cache: int, length_unit: str, **_: Any
) -> None:
    check_length_unit(length_unit, "soft_overlong_punishment_reward")
    if not isinstance(max_completion_len, int) or not isinstance(soft_punish_cache, int):
        raise ConfigError(
            "soft_overlong_punishment_reward: max_completion_len and soft_punish_cache must be integers"
        )
    if not 0 < soft_punish_cache <= max_completion_len:
        raise ConfigError(
            "soft_overlong_punishment_reward: need 0 < soft_punish_cache <= max_completion_len, "
            f"got {soft_punish_cache} and {max_completion_len}"
        )


@checked_by(_check_overlong_params)
@timed_reward
def soft_overlong_punishment_reward(
    completions: Sequence[Any],
    answer: Sequence[str] | None = None,
    *,
    max_completion_len: int = 3584,
    soft_punish_cache: int = 512,
    length_unit: LengthUnit = "tokens",
    completion_ids: Sequence[Sequence[int]] | None = None,
    **kwargs: Any,
) -> list[float | None]:
    """DAPO's soft overlong punishment: 0 up to `max_completion_len - soft_punish_cache`, then down to -1.

    On token lengths this is TRL's `trl.rewards.get_soft_overlong_punishment`; `length_unit="chars"`
    applies the same schedule to characters (TRL has no such option).
    """
    _check_overlong_params(
        max_completion_len=max_completion_len, soft_punish_cache=soft_punish_cache, length_unit=length_unit
    )
    texts = completion_texts(completions)
    if length_unit == "tokens" and completion_ids is not None and len(completion_ids) == len(texts):
        from trl.rewards import get_soft_overlong_punishment

        return get_soft_overlong_punishment(max_completion_len, soft_punish_cache)(
            completion_ids=completion_ids
        )
    lengths = completion_lengths(texts, completion_ids, length_unit)
    start = max_completion_len - soft_punish_cache
    return [
        0.0 if n <= start else -1.0 if n > max_completion_len else (start - n) / soft_punish_cache
        for n in lengths
    ]
