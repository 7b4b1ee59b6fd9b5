"""Format, tag-count, reasoning-step and repetition rewards on hand-written completions."""

from __future__ import annotations

import random
import re

import pytest

from openrs.errors import ConfigError
from openrs.rewards import (
    format_reward,
    reasoning_steps_reward,
    repetition_penalty_reward,
    tag_count_reward,
    think_answer_format_reward,
)

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
        (GOOD + "\nmore", False, 1.0),  # MULTILINE: `$` also matches before a newline
        (GOOD + " more", False, 0.0),
        ("", True, 0.0),
        ("", False, 0.0),
    ],
)
def test_think_answer_format_reward(completion: str, prompt_opens_think: bool, expected: float) -> None:
    as_messages = [[{"role": "assistant", "content": completion}]]
    assert think_answer_format_reward(as_messages, prompt_opens_think=prompt_opens_think) == [expected]
    assert think_answer_format_reward([completion], prompt_opens_think=prompt_opens_think) == [expected]


OPEN_R1_PATTERN = re.compile(r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", re.DOTALL | re.MULTILINE)
PIECES = ["<think>\n", "\n</think>\n", "<answer>\n", "\n</answer>", "\n", "x", "</answer>", "<think>"]


def test_think_answer_format_is_open_r1s_regex_on_random_tag_soup() -> None:
    rng = random.Random(0)

    def soup(n: int) -> str:
        return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, n)))

    texts = [soup(9) for _ in range(10_000)] + ["<think>\n" + soup(6) for _ in range(10_000)]
    texts += [f"<think>\n{soup(3)}\n</think>\n<answer>\n{soup(3)}\n</answer>{soup(3)}" for _ in range(10_000)]
    ours = think_answer_format_reward(texts)
    assert ours == [1.0 if OPEN_R1_PATTERN.match(t) else 0.0 for t in texts]
    assert 3_000 < sum(ours) < 27_000  # both outcomes are well represented


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("Let me add.\n</think>\nThe answer is \\boxed{4}.", 1.0),  # R1-distill: the prompt opened <think>
        (GOOD, 1.0),
        ("Let me add.</think>\n\\boxed{4}", 0.0),  # no newline before the tag
        ("Let me add.\n</think>", 0.0),  # nothing after the tag, not even a newline
        ("a\n</think>\nb\n</think>\nc", 0.0),  # closed twice
        ("still thinking when the budget ran out", 0.0),
        ("", 0.0),
    ],
)
def test_format_reward_is_open_rs_think_close(completion: str, expected: float) -> None:
    assert format_reward([completion]) == [expected]
    assert format_reward([[{"role": "assistant", "content": completion}]]) == [expected]


@pytest.mark.parametrize(
    ("completion", "answer_tags", "prompt_opens_think", "expected"),
    [
        (GOOD, False, False, 1.0),
        (OPENED_IN_PROMPT, False, False, 0.5),
        (OPENED_IN_PROMPT, False, True, 1.0),
        ("<think>\n<think>\n</think>\n", False, False, 0.5),
        ("nothing", False, False, 0.0),
        (GOOD, True, False, 1.0),
        (OPENED_IN_PROMPT, True, False, 0.75),
        (OPENED_IN_PROMPT, True, True, 1.0),
        ("<think>\n<think>\n</think>\n", True, False, 0.25),
    ],
)
def test_tag_count_reward(
    completion: str, answer_tags: bool, prompt_opens_think: bool, expected: float
) -> None:
    scores = tag_count_reward([completion], answer_tags=answer_tags, prompt_opens_think=prompt_opens_think)
    assert scores == [expected]


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
