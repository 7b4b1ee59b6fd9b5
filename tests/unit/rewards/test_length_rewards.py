"""Cosine-scaled, Kimi length and soft overlong rewards: values at known lengths."""

from __future__ import annotations

import math

import pytest

from openrs.errors import ConfigError
from openrs.rewards import cosine_scaled_reward, len_reward, soft_overlong_punishment_reward
from openrs.rewards.accuracy import cosine_reward_value

PAPER = dict(
    min_value_wrong=0.0,
    max_value_wrong=-0.5,
    min_value_correct=0.5,
    max_value_correct=1.0,
    length_unit="chars",
    clamp=False,
)


def _text(correct: bool, length: int) -> str:
    body = "\\boxed{7}" if correct else "\\boxed{8}"
    return "x" * (length - len(body)) + body


@pytest.mark.parametrize(
    ("correct", "length", "expected"),
    [
        (True, 0, 1.0),
        (True, 500, 0.75),
        (True, 1000, 0.5),
        (True, 2000, 0.5),  # clamped past max_len
        (False, 0, -0.5),
        (False, 500, -0.25),
        (False, 1000, 0.0),  # a long wrong answer is punished less than a short one
        (False, 3000, 0.0),
    ],
)
def test_cosine_default_is_the_corrected_schedule(correct: bool, length: int, expected: float) -> None:
    value = cosine_reward_value(
        length,
        correct,
        min_value_wrong=-0.5,
        max_value_wrong=0.0,
        min_value_correct=0.5,
        max_value_correct=1.0,
        max_len=1000,
        clamp=True,
    )
    assert value == pytest.approx(expected)


def test_cosine_with_the_papers_settings_measures_characters_and_wraps_past_max_len() -> None:
    completions = [
        _text(True, 100),
        _text(True, 3584),
        _text(True, 7168),
        _text(False, 100),
        _text(False, 3584),
    ]
    ids = [[0] * 10] * len(completions)  # ignored: the paper measured characters
    scores = cosine_scaled_reward(
        completions, ["7"] * 5, max_len=3584, completion_ids=ids, num_workers=0, **PAPER
    )
    expected_correct_100 = 0.5 + 0.25 * (1 + math.cos(math.pi * 100 / 3584))
    expected_wrong_100 = -0.5 + 0.25 * (1 + math.cos(math.pi * 100 / 3584))
    assert scores == pytest.approx([expected_correct_100, 0.5, 1.0, expected_wrong_100, -0.5])


def test_cosine_counts_tokens_by_default() -> None:
    completions = [_text(True, 5000), _text(False, 5000)]
    ids = [[0] * 500, [0] * 1000]
    assert cosine_scaled_reward(completions, ["7", "7"], completion_ids=ids, num_workers=0) == pytest.approx(
        [0.75, 0.0]
    )


def test_cosine_unparseable_gold_follows_the_parameter() -> None:
    assert cosine_scaled_reward(["\\boxed{1}"], [""], num_workers=0) == [0.0]
    assert cosine_scaled_reward(["\\boxed{1}"], [""], unparseable_gold_reward=1.0, num_workers=0) == [1.0]


@pytest.mark.parametrize(
    "bad", [dict(length_unit="words"), dict(max_len=0), dict(num_workers=-1), dict(timeout_s=0)]
)
def test_cosine_rejects_bad_parameters(bad: dict) -> None:
    with pytest.raises(ConfigError):
        cosine_scaled_reward([], [], **bad)


def test_len_reward_is_relative_within_each_prompt_group() -> None:
    prompts = ["p1", "p1", "p1", "p2", "p2"]
    completions = [_text(True, 100), _text(True, 300), _text(False, 200), _text(True, 50), _text(True, 50)]
    scores = len_reward(completions, ["7"] * 5, prompts=prompts, length_unit="chars", num_workers=0)
    assert scores == pytest.approx([0.5, -0.5, 0.0, 0.0, 0.0])


def test_len_reward_over_the_whole_batch_like_open_r1() -> None:
    completions = [_text(True, 100), _text(False, 200), _text(True, 300)]
    scores = len_reward(
        completions,
        ["7"] * 3,
        prompts=["a", "b", "c"],
        group_by_prompt=False,
        length_unit="chars",
        num_workers=0,
    )
    assert scores == pytest.approx([0.5, 0.0, -0.5])


@pytest.mark.parametrize(
    ("length", "expected"), [(0, 0.0), (3072, 0.0), (3328, -0.5), (3584, -1.0), (4000, -1.0)]
)
def test_soft_overlong_punishment(length: int, expected: float) -> None:
    scores = soft_overlong_punishment_reward(["x"], completion_ids=[[0] * length])
    assert scores == pytest.approx([expected])


def test_soft_overlong_rejects_a_cache_longer_than_the_limit() -> None:
    with pytest.raises(ConfigError, match="soft_punish_cache"):
        soft_overlong_punishment_reward([], max_completion_len=100, soft_punish_cache=200)


@pytest.mark.parametrize("length_unit", ["tokens", "chars"])
def test_soft_overlong_is_trls_on_tokens_and_the_same_schedule_on_characters(length_unit: str) -> None:
    from trl.rewards import get_soft_overlong_punishment

    lengths = list(range(0, 4200, 37))
    texts, ids = ["y" * n for n in lengths], [[0] * n for n in lengths]
    ours = soft_overlong_punishment_reward(
        texts, completion_ids=ids if length_unit == "tokens" else None, length_unit=length_unit
    )
    assert ours == get_soft_overlong_punishment(3584, 512)(completion_ids=ids)


def test_repetition_penalty_counts_words_where_trls_counts_tokens() -> None:
    # open-r1 and Open RS counted lowercased word n-grams; TRL's reward counts token-id n-grams.
    from trl.rewards import get_repetition_penalty_reward

    from openrs.rewards import repetition_penalty_reward

    text, ids = "Go go GO go", [[1, 2, 3, 2]]
    assert repetition_penalty_reward([text], ngram_size=2) == pytest.approx([-(1 - 1 / 3)])
    assert get_repetition_penalty_reward(2, -1.0)(completion_ids=ids) == pytest.approx([0.0])
