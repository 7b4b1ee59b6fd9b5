"""Check answers against golds, each check bounded in time: in this process under a timer, or in the worker pool."""

from __future__ import annotations

import logging
import signal
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from openrs.rewards.answers import Verdict, check_boxed, extract_boxed_answer, parse_gold, quick_verdict
from openrs.rewards.worker_pool import get_pool

logger = logging.getLogger(__name__)
_warned_off_main_thread = False
T = TypeVar("T")


class _CheckTimedOut(BaseException):
    """Raised by the timer inside a check; a BaseException so math-verify's `except Exception` lets it through."""


def _raise_timed_out(signum: int, frame: Any) -> None:
    raise _CheckTimedOut


def _bounded(func: Callable[[], T], timeout_s: float) -> T:
    """Run `func` in this (main) thread; raise _CheckTimedOut if SIGALRM fires after `timeout_s`."""
    previous = signal.signal(signal.SIGALRM, _raise_timed_out)
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        try:
            return func()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def check_in_process(golds: Sequence[str], answers: Sequence[str | None], timeout_s: float) -> list[Verdict]:
    """One verdict per (gold, boxed answer), each check interrupted by a timer after `timeout_s` (main thread only)."""
    verdicts: list[Verdict] = []
    hung_golds: set[str] = set()
    for gold, boxed in zip(golds, answers, strict=True):
        if gold in hung_golds:
            verdicts.append(Verdict.TIMEOUT)
            continue
        try:
            _bounded(lambda g=gold: parse_gold(g), timeout_s)
        except _CheckTimedOut:
            hung_golds.add(gold)
            verdicts.append(Verdict.TIMEOUT)
            continue
        except Exception:
            pass  # check_boxed reports the gold unparseable
        try:
            verdicts.append(_bounded(lambda g=gold, b=boxed: check_boxed(g, b), timeout_s))
        except _CheckTimedOut:
            verdicts.append(Verdict.TIMEOUT)
        except Exception:  # math-verify and sympy raise many kinds; none of them makes an answer right
            logger.debug("answer check failed", exc_info=True)
            verdicts.append(Verdict.WRONG)
    return verdicts


class _VerdictCache:
    """The latest verdicts by (gold, boxed answer), so rewards sharing a batch check each pair once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str | None], Verdict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str | None]) -> Verdict | None:
        with self._lock:
            verdict = self._items.get(key)
            if verdict is not None:
                self._items.move_to_end(key)
            return verdict

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def put(self, key: tuple[str, str | None], verdict: Verdict) -> None:
        with self._lock:
            self._items[key] = verdict
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_recent_verdicts = _VerdictCache(size=16_384)


def forget_recent_verdicts() -> None:
    """Empty the verdict cache (tests and benchmarks that time checks use it)."""
    _recent_verdicts.clear()


def check_answers(
    golds: Sequence[str], completions: Sequence[str], *, num_workers: int, timeout_s: float
) -> list[Verdict]:
    """One verdict per completion against its gold answer, each check bounded by `timeout_s` seconds."""
    global _warned_off_main_thread
    boxed = [extract_boxed_answer(c) for c in completions]
    verdicts: list[Verdict | None] = []
    for gold, answer in zip(golds, boxed, strict=True):
        verdict = quick_verdict(gold, answer)
        verdicts.append(verdict if verdict is not None else _recent_verdicts.get((gold, answer)))
    # A group of samples often boxes the same answer: check each distinct (gold, answer) pair once.
    pending: dict[tuple[str, str | None], list[int]] = {}
    for i, verdict in enumerate(verdicts):
        if verdict is None:
            pending.setdefault((golds[i], boxed[i]), []).append(i)
    if pending:
        pairs = list(pending)
        pair_golds, pair_answers = [g for g, _ in pairs], [b for _, b in pairs]
        if (
            num_workers <= 1
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        ):
            checked = check_in_process(pair_golds, pair_answers, timeout_s)
        else:
            if num_workers <= 1 and not _warned_off_main_thread:
                # A timer signal only reaches the main thread; elsewhere a killable worker is the only bound.
                logger.info("answer checks run off the main thread: using one worker process")
                _warned_off_main_thread = True
            checked = get_pool(max(1, num_workers)).check(pair_golds, pair_answers, timeout_s)
        for pair, verdict in zip(pairs, checked, strict=True):
            if verdict != Verdict.TIMEOUT:  # a timed-out pair is tried again next time
                _recent_verdicts.put(pair, verdict)
            for i in pending[pair]:
                verdicts[i] = verdict
    return [v if v is not None else Verdict.TIMEOUT for v in verdicts]
