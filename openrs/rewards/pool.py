"""Check answers against golds, each check bounded in time and memory, in `pebble` checker processes.

No check runs in the caller's process: a timer signal cannot interrupt sympy's C big-integer work
(`\\boxed{(10^{10^{10}})!}` ran 10-18 s past a 2 s alarm and took 4 GB), and only reaches the main
thread. A pebble `ProcessPool` kills and replaces a worker whose check passes `timeout_s`; each worker
caps its address space. Plain numbers are decided here without sympy; each distinct (gold, answer)
is checked once and remembered (a timed-out one too); a gold that checks time out against is found
out once (_probe_golds) and its answers score TIMEOUT from then on, without a check.

Checkers are spawned (not forked), so, as with any spawning multiprocessing code, a script that calls
the rewards keeps its top-level work under `if __name__ == "__main__":` (`python -m openrs.train` does).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import hashlib
import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pebble import ProcessPool

from openrs.rewards.answers import Verdict, extract_boxed_answer, quick_verdict
from openrs.rewards.checks import CheckKind, check, start_worker
from openrs.rewards.stats import record_reward_metric

logger = logging.getLogger(__name__)
# A checker's address space: math-verify, sympy and antlr take ~0.3 GB; a check past this gets a MemoryError.
WORKER_MEMORY_LIMIT_BYTES = 2 << 30
# How long a new worker may take to start (a fresh interpreter importing math-verify) beyond the checks' own time.
_START_MARGIN_S = 120.0
# How often a wait for checks looks whether their pool is still alive.
_POOL_CHECK_S = 1.0


class _LRU:
    """A bounded, thread-safe map that forgets the least recently used entry first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# Keyed by digests, so a cache of whole completions stays small.
_recent_verdicts = _LRU(size=16_384)
# What is known of a gold, by digest of (gold kind, gold): an answer was checked against it in time; it
# does not parse; checks against it pass the timeout (see _probe_golds).
_gold_status = _LRU(size=65_536)
_CHECKABLE, _UNPARSEABLE, _HANGS = "checkable", "unparseable", "hangs"


def _digest(*parts: str | None) -> bytes:
    text = "\0".join("\1" if p is None else p for p in parts)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def forget_recent_verdicts() -> None:
    """Forget remembered verdicts and gold parses (tests and benchmarks that time checks use it)."""
    _recent_verdicts.clear()
    _gold_status.clear()


_pools: dict[int, tuple[int, Any]] = {}  # size -> (the pid that started it, its pebble.ProcessPool)
_pools_lock = threading.Lock()


def get_pool(size: int) -> Any:
    """This process's `pebble.ProcessPool` of `size` checker processes, started on first use."""
    with _pools_lock:
        pid, pool = _pools.get(size, (None, None))
        if pool is None or pid != os.getpid() or not pool.active:  # a forked child starts its own
            if pool is not None and pid == os.getpid():  # broken: its threads end in the background
                pool.stop()  # (a join could wait on a pipe no worker reads any more)
                threading.Thread(target=pool.join, name="openrs-old-checker-pool", daemon=True).start()
            if multiprocessing.current_process().daemon:
                # A daemonic process (a DataLoader worker) may not start children; its checkers end with it.
                multiprocessing.current_process().daemon = False
            # spawn, not fork: forking a trainer copies locks its other threads hold, and CUDA state.
            pool = ProcessPool(
                max_workers=size,
                initializer=start_worker,
                initargs=(WORKER_MEMORY_LIMIT_BYTES,),
                context=multiprocessing.get_context("spawn"),
            )
            _pools[size] = (os.getpid(), pool)
        return pool


@atexit.register  # after pebble's own exit hook (imported above), so this one runs first
def close_pools() -> None:
    """Stop every checker process this process started."""
    with _pools_lock:
        for pid, pool in _pools.values():
            if pid == os.getpid():
                pool.stop()
                pool.join(timeout=5)
        _pools.clear()


def _run_all(calls: list[tuple[Any, tuple[Any, ...]]], timeout_s: float, size: int) -> list[Any]:
    """Run each (function, args) in the pool; a call past `timeout_s` (or whose worker died) gives None."""
    results, broken = _run_in(get_pool(size), calls, timeout_s, size)
    if broken:  # every worker died at once (pebble then fails the pool): start a new pool, once
        logger.warning("answer checks: the checker processes died; starting new ones")
        retried, _ = _run_in(get_pool(size), [calls[i] for i in broken], timeout_s, size)
        for i, result in zip(broken, retried, strict=True):
            results[i] = result
    return results


def _run_in(
    pool: Any, calls: list[tuple[Any, tuple[Any, ...]]], timeout_s: float, size: int
) -> tuple[list[Any], list[int]]:
    """The results of `calls` in `pool` (None for a timed-out one), and which calls a broken pool failed."""
    futures = [pool.schedule(func, args, timeout=timeout_s) for func, args in calls]
    deadline = timeout_s * (len(calls) // size + 1) + _START_MARGIN_S
    try:
        done = _wait_while_active(pool, futures, deadline)
    finally:
        for future in futures:
            future.cancel()  # after an interrupt or past the deadline: pebble kills what still runs
    orphaned = not pool.active  # its workers all died: what it had not answered, it never will
    if len(done) < len(futures) and not orphaned:
        logger.warning("answer checks: %d checker processes did not answer in %.0f s", size, deadline)
    results: list[Any] = []
    broken: list[int] = []
    for i, future in enumerate(futures):
        if future not in done:  # past the deadline; or never run, as broken as a check the pool failed
            results.append(None)
            if orphaned:
                broken.append(i)
            continue
        try:
            results.append(future.result(timeout=0))
        except BrokenProcessPool:
            results.append(None)
            broken.append(i)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError, OSError):
            results.append(None)  # timed out, or its worker died (pebble's ProcessExpired is an OSError)
    return results, broken


def _wait_while_active(pool: Any, futures: list, deadline_s: float) -> set:
    """The futures done within `deadline_s`, or once `pool` has broken.

    When every worker dies, pebble fails the tasks it knows of and stops its loops; a task scheduled
    while it had not yet noticed is never run nor failed, so waiting for it would last the whole
    deadline (minutes) and its check would score 0.
    """
    end = time.monotonic() + deadline_s
    while True:
        left = end - time.monotonic()
        done, pending = concurrent.futures.wait(futures, timeout=max(0.0, min(_POOL_CHECK_S, left)))
        if not pending or left <= _POOL_CHECK_S or not pool.active:
            return done


# What a suspect gold is checked against: an answer quick to compare with any gold that is itself quick.
_PROBE_ANSWERS = {
    CheckKind.BOXED: "0",
    CheckKind.OPEN_RS: "\\boxed{0}",
    CheckKind.OPEN_RS_BOXED_TRUE: "\\boxed{0}",
}


def _probe_golds(kind: CheckKind, golds: set[str], timeout_s: float, size: int) -> None:
    """For golds an answer timed out against: does checking `0` against the gold time out too? Then it hangs.

    Such a gold would cost `timeout_s` on every answer of every call; it is found out once, and its
    answers score TIMEOUT from then on. A plain-number gold is compared without sympy: it cannot hang.
    """
    probe = _PROBE_ANSWERS[kind]
    suspects = sorted(g for g in golds if kind is not CheckKind.BOXED or quick_verdict(g, probe) is None)
    results = _run_all([(check, (kind, g, probe)) for g in suspects], timeout_s, size)
    for gold, result in zip(suspects, results, strict=True):
        if result is None:
            logger.warning("a gold takes over %.1f s to check: its answers score 0: %.80r", timeout_s, gold)
            record_reward_metric("gold_timeouts", 1)
            _gold_status.put(_digest(kind.gold_kind, gold), _HANGS)


def check_answers(
    golds: Sequence[str],
    completions: Sequence[str],
    *,
    num_workers: int,
    timeout_s: float,
    kind: CheckKind = CheckKind.BOXED,
) -> list[Verdict]:
    """One verdict per completion against its gold, each check bounded by `timeout_s` seconds.

    `num_workers` checker processes share the checks (0 means 1: there is no unbounded in-process mode).
    """
    start = time.perf_counter()
    answers = [extract_boxed_answer(c) for c in completions] if kind is CheckKind.BOXED else list(completions)
    verdicts: list[Verdict | None] = [None] * len(answers)
    pending: dict[bytes, list[int]] = {}
    for i, (gold, answer) in enumerate(zip(golds, answers, strict=True)):
        if kind is CheckKind.BOXED:
            verdicts[i] = quick_verdict(gold, answer)
        if verdicts[i] is None:
            key = _digest(kind.value, gold, answer)
            verdicts[i] = _recent_verdicts.get(key)
            if verdicts[i] is None:
                pending.setdefault(key, []).append(i)
    if pending:
        size = max(1, num_workers)
        calls = []
        for key, indices in pending.items():
            decided = _decided_by_gold(_status(kind, golds[indices[0]]), answers[indices[0]])
            if decided is None:
                calls.append((key, indices[0]))
            else:
                _remember(key, decided, indices, verdicts)
        results = _run_all([(check, (kind, golds[i], answers[i])) for _, i in calls], timeout_s, size)
        for (key, i), result in zip(calls, results, strict=True):
            # A timed-out check is remembered too: it would cost `timeout_s` again on every call.
            verdict = Verdict.TIMEOUT if result is None else Verdict(result)
            _remember(key, verdict, pending[key], verdicts)
            if verdict != Verdict.TIMEOUT:
                status = _UNPARSEABLE if verdict == Verdict.GOLD_UNPARSEABLE else _CHECKABLE
                _gold_status.put(_digest(kind.gold_kind, golds[i]), status)
        timed_out = {golds[i] for (_, i), result in zip(calls, results, strict=True) if result is None}
        if timed_out:
            _probe_golds(
                kind, timed_out - {g for g in timed_out if _status(kind, g) == _CHECKABLE}, timeout_s, size
            )
    logger.debug("checked %d answers in %.3f s", len(answers), time.perf_counter() - start)
    return [v if v is not None else Verdict.TIMEOUT for v in verdicts]


def _status(kind: CheckKind, gold: str) -> str | None:
    return _gold_status.get(_digest(kind.gold_kind, gold))


def _decided_by_gold(status: str | None, answer: str | None) -> Verdict | None:
    """The verdict the gold alone decides: unparseable, hanging, or nothing to compare it with."""
    if status == _UNPARSEABLE:
        return Verdict.GOLD_UNPARSEABLE
    if status == _HANGS:
        return Verdict.TIMEOUT
    return Verdict.WRONG if answer is None and status == _CHECKABLE else None


def _remember(key: bytes, verdict: Verdict, indices: list[int], verdicts: list[Verdict | None]) -> None:
    _recent_verdicts.put(key, verdict)
    for j in indices:
        verdicts[j] = verdict
