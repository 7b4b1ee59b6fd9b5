"""Format, tag-count, reasoning-step and repetition rewards on hand-written completions."""

from __future__ import annotations

import pytest

from openrs.errors import ConfigError
from openrs.rewards import format_reward, reasoning_steps_reward, repetition_penalty_reward, tag_count_reward

GOOD = "<think>\nLet me add.\n</think>\n<answer>\n\\boxed{4}\n</answer>"
OPENED_IN_PROMPT = "Let me add.\n</think>\n<answer>\n\\boxed{4}\n</answer>"


@pytest.mark.parametrize(
    ("completion", "prompt_opens_think", "expected"),
    [
        (GOOD, False, 1.0),
        (GOOD.replace("\n", " "), False, 0.0),
        ("<think>\nmulti\nline\nreasoning\n</think>\n<answer>\n4\n</answer>", False, 1.0),
        ("<answer>\n4\n</answer>", False, 0.0),
        ("<think>\nhm\n</think>", False, 0.0),
        ("Sure! " + GOOD, False, 0.0),
        (OPENED_IN_PROMPT, False, 0.0),
        (OPENED_IN_PROMPT, True, 1.0),
        (GOOD, True, 1.0),  # a model that repeats the template's <think> still has the format
        ("", True, 0.0),
        ("", False, 0.0),
    ],
)
def test_format_reward(completion: str, prompt_opens_think: bool, expected: float) -> None:
    as_messages = [[{"role": "assistant", "content": completion}]]
    assert format_reward(as_messages, prompt_opens_think=prompt_opens_think) == [expected]
    assert format_reward([completion], prompt_opens_think=prompt_opens_think) == [expected]


@pytest.mark.parametrize(
    ("completion", "prompt_opens_think", "expected"),
    [
        (GOOD, False, 1.0),
        (OPENED_IN_PROMPT, False, 0.75),
        (OPENED_IN_PROMPT, True, 1.0),
        ("<think>\n<think>\n</think>\n", False, 0.25),
        ("nothing", False, 0.0),
    ],
)
def test_tag_count_reward(completion: str, prompt_opens_think: bool, expected: float) -> None:
    assert tag_count_reward([completion], prompt_opens_think=prompt_opens_think) == [expected]


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("Step 1: a\nStep 2: b\nStep 3: c", 1.0),
        ("1. a\n2. b\n3. c\n4. d", 1.0),
        ("First, a. Next, b.", 2 / 3),
        ("just an answer", 0.0),
    ],
)
def test_reasoning_steps_reward(completion: str, expected: float) -> None:
    assert reasoning_steps_reward([completion]) == pytest.approx([expected])


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("the cat sat on the mat", 0.0),
        ("a b c a b c a b c", -(1 - 3 / 7)),
        ("go go go go go", -(1 - 1 / 3)),
        ("too short", 0.0),
        ("", 0.0),
    ],
)
def test_repetition_penalty_reward(completion: str, expected: float) -> None:
    assert repetition_penalty_reward([completion], ngram_size=3, max_penalty=-1.0) == pytest.approx(
        [expected]
    )


def test_repetition_penalty_rejects_a_positive_penalty() -> None:
    with pytest.raises(ConfigError, match="max_penalty"):
        repetition_penalty_reward([], max_penalty=0.5)
