"""Repetition penalty: the share of repeated word n-grams (Yeo et al. 2025, appendix C.2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openrs.errors import ConfigError
from openrs.rewards.completions import completion_texts
from openrs.rewards.stats import checked_by, timed_reward


def repeated_ngram_fraction(text: str, ngram_size: int) -> float:
    """The fraction of a text's word n-grams that repeat an earlier one (0.0 for fewer than n words)."""
    words = text.lower().split()
    total = len(words) - ngram_size + 1
    if total <= 0:
        return 0.0
    distinct = len(set(zip(*(words[i:] for i in range(ngram_size)), strict=False)))
    return 1.0 - distinct / total


def _check_repetition_params(*, ngram_size: int, max_penalty: float, **_: Any) -> None:
    if not isinstance(ngram_size, int) or ngram_size < 1:
        raise ConfigError(
            f"repetition_penalty_reward: ngram_size must be a positive integer, got {ngram_size!r}"
        )
    if not isinstance(max_penalty, int | float) or max_penalty > 0:
        raise ConfigError(f"repetition_penalty_reward: max_penalty must be <= 0, got {max_penalty!r}")


@checked_by(_check_repetition_params)
@timed_reward
def repetition_penalty_reward(
    completions: Sequence[Any],
    answer: Sequence[str] | None = None,
    *,
    ngram_size: int = 3,
    max_penalty: float = -1.0,
    **kwargs: Any,
) -> list[float | None]:
    """`max_penalty` times the fraction of repeated word n-grams: 0 for no repetition, `max_penalty` for all."""
    _check_repetition_params(ngram_size=ngram_size, max_penalty=max_penalty)
    return [repeated_ngram_fraction(t, ngram_size) * max_penalty for t in completion_texts(completions)]
