"""Bounded math-verify checks: in this process under a timer, or in a pool of killable worker processes."""

from __future__ import annotations

import atexit
import contextlib
import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, TypeVar

from openrs.rewards.answers import Verdict, check_boxed, extract_boxed_answer, parse_gold, quick_verdict

logger = logging.getLogger(__name__)

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_START_TIMEOUT_S = 120.0
# The worker protocol (see worker.py): READY once started, then per task GOLD_PARSED and one verdict per answer.
READY = "ready"
GOLD_PARSED = -1
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


@dataclass
class _Task:
    gold: str
    indices: list[int]
    answers: list[str | None]


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    verdicts: Connection
    tasks: Connection
    ready: bool = False
    task: _Task | None = None
    gold_parsed: bool = False
    done: int = 0  # answers of `task` already decided
    # When the worker's current step (starting, parsing the gold, checking an answer) began.
    started: float = field(default_factory=time.monotonic)


class VerifyPool:
    """Worker processes checking answers; a check past its deadline gets its worker killed and replaced."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pid = os.getpid()
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()

    def _spawn(self) -> _Worker:
        # A fresh interpreter rather than multiprocessing: spawn and forkserver children re-import the
        # trainer's __main__ (torch and all), and fork copies locks other threads of the trainer hold.
        task_r, task_w = os.pipe()
        verdict_r, verdict_w = os.pipe()
        path = os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
        process = subprocess.Popen(
            [sys.executable, "-m", "openrs.rewards.worker", str(task_r), str(verdict_w)],
            pass_fds=(task_r, verdict_w),
            stdin=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONPATH=path),
        )
        os.close(task_r)
        os.close(verdict_w)
        return _Worker(process, Connection(verdict_r, writable=False), Connection(task_w, readable=False))

    @staticmethod
    def _kill(worker: _Worker) -> None:
        worker.process.kill()
        worker.process.wait()
        worker.verdicts.close()
        worker.tasks.close()

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            for worker in self._workers:
                with contextlib.suppress(OSError):
                    worker.tasks.send(None)
            for worker in self._workers:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.process.wait(timeout=1)
                self._kill(worker)
            self._workers.clear()

    def check(self, golds: Sequence[str], answers: Sequence[str | None], timeout_s: float) -> list[Verdict]:
        """One verdict per (gold, boxed answer) pair, each check bounded by `timeout_s`."""
        with self._lock:
            self._workers += [self._spawn() for _ in range(self.size - len(self._workers))]
            try:
                return self._run(self._tasks(golds, answers), len(golds), timeout_s)
            except BaseException:  # e.g. Ctrl-C mid-batch: workers may hold half-done tasks, start afresh
                for worker in self._workers:
                    self._kill(worker)
                self._workers.clear()
                raise

    def _tasks(self, golds: Sequence[str], answers: Sequence[str | None]) -> deque[_Task]:
        # One task per gold answer, so a worker parses it once; split so every worker gets a share.
        by_gold: dict[str, list[int]] = {}
        for i, gold in enumerate(golds):
            by_gold.setdefault(gold, []).append(i)
        chunk = max(1, math.ceil(len(golds) / self.size))
        tasks: deque[_Task] = deque()
        for gold, indices in by_gold.items():
            for k in range(0, len(indices), chunk):
                part = indices[k : k + chunk]
                tasks.append(_Task(gold, part, [answers[i] for i in part]))
        return tasks

    def _receive(self, worker: _Worker, verdicts: list[Verdict | None], now: float) -> bool:
        """Read what the worker sent; False if it died."""
        try:
            while worker.verdicts.poll():
                message = worker.verdicts.recv()
                worker.started = now
                if message == READY:
                    worker.ready = True
                elif message == GOLD_PARSED:
                    worker.gold_parsed = True
                elif worker.task is not None:
                    verdicts[worker.task.indices[worker.done]] = Verdict(message)
                    worker.done += 1
                    if worker.done == len(worker.task.indices):
                        worker.task = None
        except (EOFError, OSError):
            return False
        return True

    def _fail(self, worker: _Worker, tasks: deque[_Task], verdicts: list[Verdict | None]) -> None:
        """Score the stuck check TIMEOUT and requeue the rest; a gold that hung times out every answer."""
        task = worker.task
        if task is None:
            return
        if not worker.gold_parsed:
            for t in [task, *(t for t in tasks if t.gold == task.gold)]:
                for i in t.indices[worker.done if t is task else 0 :]:
                    verdicts[i] = Verdict.TIMEOUT
            remaining = [t for t in tasks if t.gold != task.gold]
            tasks.clear()
            tasks.extend(remaining)
            return
        verdicts[task.indices[worker.done]] = Verdict.TIMEOUT
        rest = worker.done + 1
        if rest < len(task.indices):
            tasks.appendleft(_Task(task.gold, task.indices[rest:], task.answers[rest:]))

    def _run(self, tasks: deque[_Task], n: int, timeout_s: float) -> list[Verdict]:
        verdicts: list[Verdict | None] = [None] * n
        while tasks or any(w.task for w in self._workers):
            now = time.monotonic()
            for slot, worker in enumerate(self._workers):
                if worker.ready and worker.task is None and tasks:
                    task = tasks.popleft()
                    try:
                        worker.tasks.send((task.gold, task.answers))
                    except OSError:  # it died while idle: replace it, keep the task
                        tasks.appendleft(task)
                        self._kill(worker)
                        self._workers[slot] = self._spawn()
                        continue
                    worker.task, worker.done, worker.gold_parsed, worker.started = task, 0, False, now
            waiting = [w for w in self._workers if w.task is not None or not w.ready]
            deadline = min(w.started + (timeout_s if w.ready else _START_TIMEOUT_S) for w in waiting)
            wait([w.verdicts for w in waiting], timeout=max(0.0, deadline - time.monotonic()))
            now = time.monotonic()
            for slot, worker in enumerate(self._workers):
                alive = self._receive(worker, verdicts, now)
                limit = timeout_s if worker.ready else _START_TIMEOUT_S
                if worker.task is None and worker.ready and alive:
                    continue
                if not alive or now - worker.started >= limit:
                    if not worker.ready:
                        raise RuntimeError("a math-verify worker did not start (see its stderr)")
                    self._fail(worker, tasks, verdicts)
                    self._kill(worker)
                    self._workers[slot] = self._spawn()
        return [v if v is not None else Verdict.TIMEOUT for v in verdicts]


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


_pools: dict[int, VerifyPool] = {}
_warned_off_main_thread = False


def _pool(size: int) -> VerifyPool:
    pool = _pools.get(size)
    if pool is None or pool.pid != os.getpid():  # a forked child must not share its parent's workers
        pool = _pools[size] = VerifyPool(size)
    return pool


@atexit.register
def close_pools() -> None:
    """Stop every worker process this process started."""
    for pool in _pools.values():
        if pool.pid == os.getpid():
            pool.close()
    _pools.clear()


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
            checked = _pool(max(1, num_workers)).check(pair_golds, pair_answers, timeout_s)
        for pair, verdict in zip(pairs, checked, strict=True):
            if verdict != Verdict.TIMEOUT:  # a timed-out pair is tried again next time
                _recent_verdicts.put(pair, verdict)
            for i in pending[pair]:
                verdicts[i] = verdict
    return [v if v is not None else Verdict.TIMEOUT for v in verdicts]
