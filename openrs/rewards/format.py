"""Rewards on the shape of a completion: a closed think block, think/answer tags, tag counts, reasoning steps."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from openrs.errors import ConfigError
from openrs.rewards.completions import completion_texts
from openrs.rewards.stats import checked_by, timed_reward

# What Open RS's format reward looks for: the think block closed on its own line, exactly once.
THINK_CLOSE = "\n</think>\n"
# open-r1's format regex was `^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$` (DOTALL, MULTILINE): the
# answer-closing tag must end the text or a line. Backtracking made it quadratic; `_think_answer_match` is
# the same test in linear time.
_THINK_ANSWER = "\n</think>\n<answer>\n"
_ANSWER_CLOSE = re.compile(r"\n</answer>(?=\n|\Z)")
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
    completions: Sequence[Any], answer: Sequence[str] | None = None, **kwargs: Any
) -> list[float | None]:
    """Open RS's format reward: 1.0 when the completion contains `\\n</think>\\n` exactly once, else 0.0.

    Nothing else is checked: the prompt asks for `<think>`, so the original only looked for its close.
    """
    return [float(t.count(THINK_CLOSE) == 1) for t in completion_texts(completions)]


def _think_answer_match(text: str) -> bool:
    """Whether open-r1's format regex matches `text`, in linear time."""
    if not text.startswith(THINK_OPENING):
        return False
    # The earliest think/answer separator leaves the most room for the answer's closing tag.
    middle = text.find(_THINK_ANSWER, len(THINK_OPENING))
    return middle >= 0 and _ANSWER_CLOSE.search(text, middle + len(_THINK_ANSWER)) is not None


@timed_reward
def think_answer_format_reward(
    completions: Sequence[Any],
    answer: Sequence[str] | None = None,
    *,
    prompt_opens_think: bool = False,
    **kwargs: Any,
) -> list[float | None]:
    """open-r1's format reward: 1.0 when the completion is `<think>\\n…\\n</think>\\n<answer>\\n…\\n</answer>`."""
    texts = _with_think_opening(completion_texts(completions), prompt_opens_think)
    return [1.0 if _think_answer_match(t) else 0.0 for t in texts]


_THINK_TAGS = ("<think>\n", "\n</think>\n")
_ANSWER_TAGS = ("\n<answer>\n", "\n</answer>")


@timed_reward
def tag_count_reward(
    completions: Sequence[Any],
    answer: Sequence[str] | None = None,
    *,
    answer_tags: bool = False,
    prompt_opens_think: bool = False,
    **kwargs: Any,
) -> list[float | None]:
    """Open RS's tag count: 0.5 for exactly one `<think>\\n`, 0.5 for exactly one `\\n</think>\\n`.

    `answer_tags=True` is open-r1's version: 0.25 for each of those and of `\\n<answer>\\n`, `\\n</answer>`.
    """
    tags = _THINK_TAGS + _ANSWER_TAGS if answer_tags else _THINK_TAGS
    texts = _with_think_opening(completion_texts(completions), prompt_opens_think)
    return [sum(t.count(tag) == 1 for tag in tags) / len(tags) for t in texts]


def _check_steps_params(*, min_steps: int, **_: Any) -> None:
    if not isinstance(min_steps, int) or min_steps < 1:
        raise ConfigError(f"reasoning_steps_reward: min_steps must be a positive integer, got {min_steps!r}")


@checked_by(_check_steps_params)
@timed_reward
def reasoning_steps_reward(
    completions: Sequence[Any], answer: Sequence[str] | None = None, *, min_steps: int = 3, **kwargs: Any
) -> list[float | None]:
    """Fraction of `min_steps` step markers ("Step 1:", "1.", bullets, "First,", …) found, capped at 1.0."""
    _check_steps_params(min_steps=min_steps)
    texts = completion_texts(completions)
    return [min(1.0, len(REASONING_STEP_PATTERN.findall(t)) / min_steps) for t in texts]
