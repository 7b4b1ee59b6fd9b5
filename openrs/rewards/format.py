"""Rewards on the shape of a completion: think/answer tags, tag counts, reasoning steps."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from openrs.errors import ConfigError
from openrs.rewards.completions import completion_texts
from openrs.rewards.stats import timed_reward

# The Open RS / open-r1 pattern, flags included: with MULTILINE, `$` also matches before a newline.
FORMAT_PATTERN = re.compile(r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", re.DOTALL | re.MULTILINE)
# Step markers from open-r1; MULTILINE so numbered lists count on every line, not only the first.
REASONING_STEP_PATTERN = re.compile(
    r"(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)", re.MULTILINE
)
# What a chat template's generation prompt ends with when it opens the think block itself.
THINK_OPENING = "<think>\n"


def _with_think_opening(texts: list[str], prompt_opens_think: bool) -> list[str]:
    # When the prompt already opened <think>, judge the completion as if that opening were part of it.
    return [THINK_OPENING + t for t in texts] if prompt_opens_think else texts


@timed_reward
def format_reward(
    completions: Sequence[Any],
    answer: Sequence[str] | None = None,
    *,
    prompt_opens_think: bool = False,
    **kwargs: Any,
) -> list[float | None]:
    """1.0 when the completion is `<think>\\n…\\n</think>\\n<answer>\\n…\\n</answer>`, else 0.0."""
    texts = _with_think_opening(completion_texts(completions), prompt_opens_think)
    return [1.0 if FORMAT_PATTERN.match(t) else 0.0 for t in texts]


def _tag_score(text: str) -> float:
    return 0.25 * sum(
        text.count(tag) == 1 for tag in ("<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>")
    )


@timed_reward
def tag_count_reward(
    completions: Sequence[Any],
    answer: Sequence[str] | None = None,
    *,
    prompt_opens_think: bool = False,
    **kwargs: Any,
) -> list[float | None]:
    """0.25 for each of the four think/answer tags that appears exactly once."""
    texts = _with_think_opening(completion_texts(completions), prompt_opens_think)
    return [_tag_score(t) for t in texts]


@timed_reward
def reasoning_steps_reward(
    completions: Sequence[Any], answer: Sequence[str] | None = None, *, min_steps: int = 3, **kwargs: Any
) -> list[float | None]:
    """Fraction of `min_steps` step markers ("Step 1:", "1.", bullets, "First,", …) found, capped at 1.0."""
    if not isinstance(min_steps, int) or min_steps < 1:
        raise ConfigError(f"reasoning_steps_reward: min_steps must be a positive integer, got {min_steps!r}")
    texts = completion_texts(completions)
    return [min(1.0, len(REASONING_STEP_PATTERN.findall(t)) / min_steps) for t in texts]
