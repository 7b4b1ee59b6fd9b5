"""No input crashes or hangs a reward; every math-verify check is bounded wherever it runs."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import openrs.rewards as rewards
from openrs.rewards import accuracy_reward, pool, pop_reward_metrics
from openrs.rewards.answers import Verdict, extract_boxed_answer
from openrs.rewards.worker_pool import get_pool

LONG_TEXT = ("We keep thinking about the problem, trying again. " * 2000)[:99_990] + " \\boxed{5}"
TOWER = "So the answer is $\\boxed{9^{9^{9^{9}}}}$."
HOSTILE: list[Any] = [
    "",
    None,
    "no box at all, just 5",
    "\\boxed{5",
    "\\boxed{\\frac{1}{2}",
    "}}}{{{\\boxed}}}",
    "\\boxed{" * 20_000,
    "{" * 100_000,
    LONG_TEXT,
    TOWER,
    "答案是 \\boxed{５} ✅ — ответ",
    "\\boxed{\\text{😀}}",
    [{"role": "assistant", "content": None}],
    [{"role": "assistant", "content": [{"type": "text", "text": "\\boxed{5}"}]}],
    [],
    {"role": "assistant", "content": "\\boxed{5}"},
    12345,
]
ALL_REWARDS = [
    rewards.accuracy_reward,
    rewards.format_reward,
    rewards.tag_count_reward,
    rewards.reasoning_steps_reward,
    rewards.len_reward,
    rewards.cosine_scaled_reward,
    rewards.repetition_penalty_reward,
    rewards.soft_overlong_punishment_reward,
]


@pytest.mark.parametrize("reward", ALL_REWARDS, ids=lambda f: f.__name__)
def test_hostile_completions_get_a_score_each(reward: Any) -> None:
    golds = ["5"] * len(HOSTILE)
    ids = [[1] * (i * 10) for i in range(len(HOSTILE))]
    prompts = [[{"role": "user", "content": "q"}]] * len(HOSTILE)
    start = time.monotonic()
    scores = reward(HOSTILE, golds, prompts=prompts, completion_ids=ids, num_workers=0, timeout_s=1.0)
    assert len(scores) == len(HOSTILE)
    assert all(s is None or isinstance(s, float) for s in scores)
    assert time.monotonic() - start < 15


def test_hostile_completions_score_as_expected() -> None:
    golds = ["5"] * len(HOSTILE)
    expected = [0.0] * len(HOSTILE)
    for i in (8, 13, 15):  # the long text, the list-of-parts message, the bare message dict
        expected[i] = 1.0
    assert accuracy_reward(HOSTILE, golds, num_workers=0, timeout_s=1.0) == expected
    assert accuracy_reward(HOSTILE, golds, num_workers=2, timeout_s=1.0) == expected


def test_boxed_extraction_is_fast_on_adversarial_text() -> None:
    start = time.monotonic()
    for text in ("\\boxed{" * 20_000, "{" * 100_000, "\\boxed{" + "{" * 100_000, LONG_TEXT):
        extract_boxed_answer(text)
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_check_that_would_hang_times_out_and_is_counted(num_workers: int) -> None:
    pop_reward_metrics()
    start = time.monotonic()
    scores = accuracy_reward([TOWER, "\\boxed{5}"], ["5", "5"], num_workers=num_workers, timeout_s=1.0)
    assert scores == [0.0, 1.0]
    assert time.monotonic() - start < 10
    metrics = pop_reward_metrics()
    assert metrics["rewards/timeouts"] == 1
    assert metrics["rewards/time_s"] > 0
    assert pop_reward_metrics()["rewards/timeouts"] == 0


def test_off_the_main_thread_checks_are_still_bounded() -> None:
    result: list[Any] = []
    thread = threading.Thread(
        target=lambda: result.append(
            accuracy_reward([TOWER, "\\boxed{5}"], ["5", "5"], num_workers=0, timeout_s=1.0)
        )
    )
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert result == [[0.0, 1.0]]


def test_a_dead_worker_is_replaced() -> None:
    assert accuracy_reward(["\\boxed{1/2}"], ["0.5"], num_workers=2) == [1.0]
    for worker in get_pool(2)._workers:
        worker.process.kill()
        worker.process.wait()
    scores = accuracy_reward(
        ["\\boxed{x=1}", "\\boxed{2.0}", "\\boxed{3/4}"], ["1", "2", "0.7"], num_workers=2
    )
    assert scores == [1.0, 1.0, 0.0]


def test_each_distinct_answer_is_checked_once_and_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    real = pool.check_in_process

    def counting(golds: Any, answers: Any, timeout_s: float) -> Any:
        calls.extend(zip(golds, answers, strict=True))
        return real(golds, answers, timeout_s)

    monkeypatch.setattr(pool, "check_in_process", counting)
    completions = [
        "\\boxed{\\sqrt2}",
        "so \\boxed{\\sqrt2}",
        "\\boxed{\\sqrt{2}}",
        "\\boxed{2/4}",
        "\\boxed{7}",
        "none",
    ]
    golds = ["\\sqrt{2}", "\\sqrt{2}", "\\sqrt{2}", "\\frac12", "7", "7"]
    assert accuracy_reward(completions, golds, num_workers=0) == [1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    assert calls == [("\\sqrt{2}", "\\sqrt2"), ("\\sqrt{2}", "\\sqrt{2}")]  # plain numbers need no sympy
    assert accuracy_reward(completions, golds, num_workers=0) == [1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    assert len(calls) == 2


def test_a_gold_that_hangs_times_out_once_for_all_its_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow_gold(gold: str) -> tuple[Any, ...]:
        time.sleep(10)
        return ()

    monkeypatch.setattr(pool, "parse_gold", slow_gold)
    start = time.monotonic()
    verdicts = pool.check_in_process(["1"] * 4, ["1"] * 4, timeout_s=0.5)
    assert verdicts == [Verdict.TIMEOUT] * 4
    assert time.monotonic() - start < 2


@pytest.mark.parametrize(
    ("gold", "setting", "expected"), [("", 0.0, 0.0), ("", 1.0, 1.0), ("", None, None), (None, 1.0, 1.0)]
)
def test_unparseable_gold_scores_the_configured_value(
    gold: Any, setting: float | None, expected: float | None
) -> None:
    scores = accuracy_reward(["\\boxed{5}"], [gold], unparseable_gold_reward=setting, num_workers=0)
    assert scores == [expected]


def test_the_number_of_gold_answers_must_match() -> None:
    with pytest.raises(ValueError, match="gold answers"):
        accuracy_reward(["\\boxed{5}", "\\boxed{6}"], ["5"], num_workers=0)
