"""No input crashes or hangs a reward; every check is bounded in time and memory wherever it runs."""

from __future__ import annotations

import inspect
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import openrs.rewards as rewards
from openrs.rewards import accuracy_reward, pool, pop_reward_metrics
from openrs.rewards.answers import extract_boxed_answer
from openrs.rewards.checks import CheckKind

LONG_TEXT = ("We keep thinking about the problem, trying again. " * 2000)[:99_990] + " \\boxed{5}"
TOWER = "So the answer is $\\boxed{9^{9^{9^{9}}}}$."
# Big-integer work in C: a timer signal cannot interrupt it, only killing the process can.
FACTORIAL = "\\boxed{(10^{10^{10}})!}"
# open-r1's format regex backtracked quadratically on this (18 s at 152K characters).
TAG_STORM = "<think>\n" + "\n</think>\n<answer>\n" * 50_000
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
    FACTORIAL,
    TAG_STORM,
    "$" * 50_000 + "\\boxed{5}",
]
ALL_REWARDS = [
    rewards.accuracy_reward,
    rewards.format_reward,
    rewards.think_answer_format_reward,
    rewards.tag_count_reward,
    rewards.reasoning_steps_reward,
    rewards.len_reward,
    rewards.cosine_scaled_reward,
    rewards.repetition_penalty_reward,
    rewards.soft_overlong_punishment_reward,
]
TIMEOUT_S = 1.0
# A check past its timeout: pebble notices within 0.1 s, kills the worker and starts another (~1-2 s).
MARGIN_S = 6.0


@pytest.mark.parametrize("checker", ["boxed", "open_rs"])
@pytest.mark.parametrize("reward", ALL_REWARDS, ids=lambda f: f.__name__)
def test_hostile_completions_get_a_score_each(reward: Any, checker: str) -> None:
    golds = ["5"] * len(HOSTILE)
    ids = [[1] * (i * 10) for i in range(len(HOSTILE))]
    prompts = [[{"role": "user", "content": "q"}]] * len(HOSTILE)
    checks = "checker" in inspect.signature(reward).parameters
    extra = {"checker": checker, "num_workers": 0, "timeout_s": TIMEOUT_S} if checks else {}
    start = time.monotonic()
    scores = reward(
        HOSTILE, golds, solution=["$5$"] * len(HOSTILE), prompts=prompts, completion_ids=ids, **extra
    )
    assert len(scores) == len(HOSTILE)
    assert all(s is None or isinstance(s, float) for s in scores)
    assert time.monotonic() - start < 30


@pytest.mark.parametrize("num_workers", [0, 2])
def test_hostile_completions_score_as_expected(num_workers: int) -> None:
    golds = ["5"] * len(HOSTILE)
    expected = [0.0] * len(HOSTILE)
    for i in (8, 13, 15, 19):  # the long text, the list-of-parts message, the bare message dict, the dollars
        expected[i] = 1.0
    assert accuracy_reward(HOSTILE, golds, num_workers=num_workers, timeout_s=TIMEOUT_S) == expected


def test_boxed_extraction_is_fast_on_adversarial_text() -> None:
    start = time.monotonic()
    for text in ("\\boxed{" * 20_000, "{" * 100_000, "\\boxed{" + "{" * 100_000, LONG_TEXT):
        extract_boxed_answer(text)
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize(
    "reward", [rewards.format_reward, rewards.think_answer_format_reward, rewards.tag_count_reward]
)
def test_format_rewards_are_linear_in_the_length(reward: Any) -> None:
    start = time.monotonic()
    assert reward(["<think>\n" + "\n</think>\n<answer>\n" * 100_000]) == reward([TAG_STORM])
    reward(["<think>\n" + "\n</think>\n<answer>\n" * 1_000_000])  # 19M characters
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("num_workers", [0, 1, 2])
@pytest.mark.parametrize("hostile", [TOWER, FACTORIAL])
def test_a_check_that_would_hang_times_out_and_is_counted(num_workers: int, hostile: str) -> None:
    pop_reward_metrics()
    start = time.monotonic()
    scores = accuracy_reward(
        [hostile, "\\boxed{5}"], ["5", "5"], num_workers=num_workers, timeout_s=TIMEOUT_S
    )
    assert scores == [0.0, 1.0]
    assert time.monotonic() - start < TIMEOUT_S + MARGIN_S
    metrics = pop_reward_metrics()
    assert metrics["rewards/timeouts"] == 1
    assert metrics["rewards/time_s"] > 0
    assert pop_reward_metrics()["rewards/timeouts"] == 0


def test_the_original_check_is_bounded_too() -> None:
    start = time.monotonic()
    scores = accuracy_reward(
        [FACTORIAL, TAG_STORM + "$\\boxed{5}$", "\\boxed{5}"],
        solution=["$5$"] * 3,
        checker="open_rs",
        num_workers=0,
        timeout_s=TIMEOUT_S,
    )
    assert scores[2] == 1.0 and scores[0] == 0.0
    assert time.monotonic() - start < 2 * (TIMEOUT_S + MARGIN_S)


def _score_tower(result: list[Any]) -> None:
    result.append(accuracy_reward([TOWER, "\\boxed{5}"], ["5", "5"], num_workers=0, timeout_s=TIMEOUT_S))


def test_off_the_main_thread_checks_are_still_bounded() -> None:
    result: list[Any] = []
    thread = threading.Thread(target=_score_tower, args=(result,))
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert result == [[0.0, 1.0]]


def _score_in_child(queue: Any) -> None:
    pool.forget_recent_verdicts()
    start = time.monotonic()
    scores = accuracy_reward([FACTORIAL, "\\boxed{5}"], ["5", "5"], num_workers=1, timeout_s=TIMEOUT_S)
    queue.put((scores, time.monotonic() - start))


def _fork_a_daemonic_scorer() -> None:
    """What a DataLoader worker is: a daemonic child forked from the trainer; prints its scores and time."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_score_in_child, args=(queue,), daemon=True)
    child.start()
    print(json.dumps(queue.get(timeout=60)))
    child.join(timeout=30)


def test_checks_in_a_daemonic_process_like_a_dataloader_worker_are_bounded() -> None:
    # Forked from a fresh interpreter: a fork of pytest's own process (after hundreds of tests, with their
    # threads) can inherit a lock held by another thread and hang, which says nothing about the rewards.
    script = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
    script += "import test_robustness as t; t._fork_a_daemonic_scorer()"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    scores, seconds = json.loads(out.stdout.strip().splitlines()[-1])
    assert scores == [0.0, 1.0]
    assert seconds < TIMEOUT_S + MARGIN_S


def _checker_pids() -> list[int]:
    """This process's checker processes (spawned children), from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"\nPPid:\t{os.getpid()}\n" in status and b"spawn_main" in cmdline:
            pids.append(int(entry.name))
    return pids


def test_a_dead_worker_is_replaced() -> None:
    assert accuracy_reward(["\\boxed{\\sqrt{4}}"], ["2"], num_workers=2) == [1.0]
    checkers = _checker_pids()
    assert checkers
    for pid in checkers:
        os.kill(pid, signal.SIGKILL)
    pool.forget_recent_verdicts()
    scores = accuracy_reward(
        ["\\boxed{x=1}", "\\boxed{2.0}", "\\boxed{3/4}"], ["1", "2", "0.7"], num_workers=2
    )
    assert scores == [1.0, 1.0, 0.0]


def _wait_dead(pids: list[int]) -> None:
    """Until each of `pids` has exited (a zombie or reaped)."""
    for pid in pids:
        while True:
            try:
                state = (Path("/proc") / str(pid) / "status").read_text()
            except OSError:
                break
            if "\nState:\tZ" in state:
                break
            time.sleep(0.01)


def test_checks_scheduled_as_every_worker_dies_are_run_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """pebble fails the tasks it knows of when its workers all die; one it takes in just after is never
    run nor failed. Slowing its scheduler makes that certain here: the checks still get their verdicts."""
    from pebble.pool.process import PoolManager

    assert accuracy_reward(["\\boxed{\\sqrt{4}}"], ["2"], num_workers=2) == [1.0]
    checkers = _checker_pids()
    assert checkers
    for pid in checkers:
        os.kill(pid, signal.SIGKILL)
    _wait_dead(checkers)
    real = PoolManager.schedule

    def late_schedule(self: Any, task: Any) -> None:
        time.sleep(0.5)  # the pool finds its workers dead meanwhile
        real(self, task)

    monkeypatch.setattr(PoolManager, "schedule", late_schedule)
    pool.forget_recent_verdicts()
    scores = accuracy_reward(
        ["\\boxed{x=1}", "\\boxed{2.0}", "\\boxed{3/4}"], ["1", "2", "0.7"], num_workers=2
    )
    assert scores == [1.0, 1.0, 0.0]


def test_each_distinct_answer_is_checked_once_and_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[tuple[Any, ...]] = []
    real = pool._run_all

    def counting(calls: Any, timeout_s: float, size: int) -> Any:
        checked.extend(args[1:] for _, args in calls)
        return real(calls, timeout_s, size)

    monkeypatch.setattr(pool, "_run_all", counting)
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
    # Each distinct boxed answer once; plain numbers need no sympy.
    assert checked == [("\\sqrt{2}", "\\sqrt2"), ("\\sqrt{2}", "\\sqrt{2}")]
    assert accuracy_reward(completions, golds, num_workers=0) == [1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    assert len(checked) == 2


@pytest.mark.parametrize("kind", [CheckKind.BOXED, CheckKind.OPEN_RS])
def test_a_gold_that_hangs_times_out_once_and_is_not_tried_again(kind: CheckKind) -> None:
    gold = "(10^{10^{10}})!" if kind is CheckKind.BOXED else "$(10^{10^{10}})!$"
    pop_reward_metrics()
    start = time.monotonic()
    # Its first call costs a timeout per distinct answer (spread over the checkers), then one to confirm the gold.
    first = pool.check_answers(
        [gold] * 3, ["\\boxed{5}", "\\boxed{6}", "\\boxed{5}"], num_workers=2, timeout_s=TIMEOUT_S, kind=kind
    )
    assert time.monotonic() - start < 2 * (TIMEOUT_S + MARGIN_S)
    assert pop_reward_metrics()["rewards/gold_timeouts"] == 1
    start = time.monotonic()
    again = pool.check_answers(
        [gold] * 2, ["\\boxed{9}", "\\boxed{10}"], num_workers=2, timeout_s=TIMEOUT_S, kind=kind
    )
    assert time.monotonic() - start < 0.5
    assert first + again == [pool.Verdict.TIMEOUT] * 5


def test_an_answer_that_hangs_does_not_condemn_its_gold() -> None:
    assert accuracy_reward([TOWER], ["5"], num_workers=1, timeout_s=TIMEOUT_S) == [0.0]
    assert pop_reward_metrics().get("rewards/gold_timeouts", 0) == 0
    assert accuracy_reward(["\\boxed{\\frac{10}{2}}"], ["5"], num_workers=1, timeout_s=TIMEOUT_S) == [1.0]


@pytest.mark.parametrize(
    ("gold", "setting", "expected"), [("", 0.0, 0.0), ("", 1.0, 1.0), ("", None, None), (None, 1.0, 1.0)]
)
def test_unparseable_gold_scores_the_configured_value(
    gold: Any, setting: float | None, expected: float | None
) -> None:
    scores = accuracy_reward(["\\boxed{5}"], [gold], unparseable_gold_reward=setting, num_workers=0)
    assert scores == [expected]


def test_a_null_gold_is_no_gold_not_the_word_none() -> None:
    assert accuracy_reward(["\\boxed{Neon}", "\\boxed{None}"], [None, None], num_workers=0) == [0.0, 0.0]


def test_the_number_of_golds_must_match() -> None:
    with pytest.raises(ValueError, match="golds"):
        accuracy_reward(["\\boxed{5}", "\\boxed{6}"], ["5"], num_workers=0)


def test_a_missing_gold_column_is_named() -> None:
    with pytest.raises(ValueError, match="'solution'"):
        accuracy_reward(["\\boxed{5}"], ["5"], checker="open_rs", num_workers=0)


def test_each_checker_caps_its_memory() -> None:
    import resource

    limit = pool.get_pool(1).schedule(resource.getrlimit, (resource.RLIMIT_AS,)).result(timeout=60)
    assert limit[0] == pool.WORKER_MEMORY_LIMIT_BYTES
