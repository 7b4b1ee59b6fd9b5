"""A pool of killable math-verify worker processes: a check past its deadline gets its worker replaced."""

from __future__ import annotations

import atexit
import contextlib
import itertools
import math
import os
import pickle
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from openrs.rewards.answers import Verdict

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_START_TIMEOUT_S = 120.0
# Tasks queued on a busy worker: at most this many, in at most this many bytes (well under a pipe's buffer).
_QUEUE_DEPTH = 4
_QUEUE_BYTES = 16_384
# The worker protocol (see worker.py): READY once started, then per task GOLD_PARSED and one verdict per answer.
READY = "ready"
GOLD_PARSED = -1


@dataclass
class _Task:
    gold: str
    indices: list[int]
    answers: list[str | None]
    message: bytes = b""  # the pickled (gold, answers) sent to a worker

    def __post_init__(self) -> None:
        self.message = pickle.dumps((self.gold, self.answers))


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    verdicts: Connection
    tasks: Connection
    ready: bool = False
    queue: deque[_Task] = field(default_factory=deque)  # sent, not finished; the first is running
    gold_parsed: bool = False  # for the running task
    done: int = 0  # answers of the running task already decided
    # When the worker's current step (starting, parsing the gold, checking an answer) began.
    started: float = field(default_factory=time.monotonic)

    def can_take(self, task: _Task) -> bool:
        # An idle worker reads any message at once; a busy one only gets what fits in the pipe's buffer,
        # so a send never blocks on a worker that is stuck. Queued tasks keep it busy while we sleep.
        if not self.ready:
            return False
        if not self.queue:
            return True
        queued = sum(len(t.message) for t in itertools.islice(self.queue, 1, None))
        return len(self.queue) <= _QUEUE_DEPTH and queued + len(task.message) <= _QUEUE_BYTES


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
                elif worker.queue:
                    task = worker.queue[0]
                    verdicts[task.indices[worker.done]] = Verdict(message)
                    worker.done += 1
                    if worker.done == len(task.indices):
                        worker.queue.popleft()
                        worker.done, worker.gold_parsed = 0, False
        except (EOFError, OSError):
            return False
        return True

    def _fail(self, worker: _Worker, tasks: deque[_Task], verdicts: list[Verdict | None]) -> None:
        """Score the stuck check TIMEOUT and requeue the rest; a gold that hung times out every answer."""
        if not worker.queue:
            return
        task = worker.queue.popleft()
        requeue = list(worker.queue)
        if not worker.gold_parsed:
            hung = [task, *(t for t in [*requeue, *tasks] if t.gold == task.gold)]
            for t in hung:
                for i in t.indices[worker.done if t is task else 0 :]:
                    verdicts[i] = Verdict.TIMEOUT
            requeue = [t for t in requeue if t.gold != task.gold]
            remaining = [t for t in tasks if t.gold != task.gold]
            tasks.clear()
            tasks.extend(remaining)
        else:
            verdicts[task.indices[worker.done]] = Verdict.TIMEOUT
            rest = worker.done + 1
            if rest < len(task.indices):
                requeue.insert(0, _Task(task.gold, task.indices[rest:], task.answers[rest:]))
        tasks.extendleft(reversed(requeue))

    def _replace(self, slot: int) -> None:
        self._kill(self._workers[slot])
        self._workers[slot] = self._spawn()

    def _run(self, tasks: deque[_Task], n: int, timeout_s: float) -> list[Verdict]:
        verdicts: list[Verdict | None] = [None] * n
        while tasks or any(w.queue for w in self._workers):
            now = time.monotonic()
            for slot, worker in enumerate(self._workers):
                while tasks and worker.can_take(tasks[0]):
                    task = tasks.popleft()
                    if not worker.queue:
                        worker.started = now
                    try:
                        worker.tasks.send_bytes(task.message)
                    except OSError:  # it died: replace it, keep its tasks
                        tasks.extendleft(reversed([*worker.queue, task]))
                        self._replace(slot)
                        break
                    worker.queue.append(task)
            waiting = [w for w in self._workers if w.queue or not w.ready]
            deadline = min(w.started + (timeout_s if w.ready else _START_TIMEOUT_S) for w in waiting)
            wait([w.verdicts for w in waiting], timeout=max(0.0, deadline - time.monotonic()))
            now = time.monotonic()
            for slot, worker in enumerate(self._workers):
                alive = self._receive(worker, verdicts, now)
                if alive and worker.ready and not worker.queue:
                    continue
                limit = timeout_s if worker.ready else _START_TIMEOUT_S
                if not alive or now - worker.started >= limit:
                    if not worker.ready:
                        raise RuntimeError("a math-verify worker did not start (see its stderr)")
                    self._fail(worker, tasks, verdicts)
                    self._replace(slot)
        return [v if v is not None else Verdict.TIMEOUT for v in verdicts]


_pools: dict[int, VerifyPool] = {}


def get_pool(size: int) -> VerifyPool:
    """This process's pool of `size` workers, started on first use."""
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
