"""One answer check, by the checker a reward names: what a checker process runs (see pool.py)."""

from __future__ import annotations

import enum
import logging
import resource
import signal

from openrs.rewards import open_rs
from openrs.rewards.answers import Verdict, check_boxed

logger = logging.getLogger(__name__)


class CheckKind(enum.StrEnum):
    """How a completion is checked against its gold."""

    BOXED = "boxed"  # openrs: the last \boxed{} against the `answer` column
    OPEN_RS = "open_rs"  # the original accuracy reward: the whole completion against `solution`
    OPEN_RS_BOXED_TRUE = "open_rs_boxed_true"  # the original cosine/length rewards: the same, boxed=True

    @property
    def gold_kind(self) -> str:
        """Which gold parse this check uses (the two Open RS checks parse `solution` alike)."""
        return "answer" if self is CheckKind.BOXED else "solution"


def check(kind: CheckKind, gold: str, answer: str | None) -> Verdict:
    """The verdict on one answer (a boxed answer for BOXED, else a whole completion; unbounded in time)."""
    try:
        if kind is CheckKind.BOXED:
            return check_boxed(gold, answer)
        boxed = "all" if kind is CheckKind.OPEN_RS else True
        return open_rs.check_completion(gold, answer or "", boxed)
    except Exception:  # sympy raises many kinds (MemoryError under the worker's limit too): never right
        logger.debug("answer check failed", exc_info=True)
        return Verdict.WRONG


def start_worker(memory_limit_bytes: int) -> None:
    """Set up a checker process: killable at once, bounded in memory, math-verify loaded and warm."""
    # pebble's SIGTERM handler only runs between bytecodes, so a check stuck in C big-integer work would
    # wait for pebble's SIGKILL 3 s later; the default action ends the process at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if memory_limit_bytes > 0:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_limit_bytes if hard == resource.RLIM_INFINITY else min(memory_limit_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    check(CheckKind.BOXED, "\\frac{1}{2}", "0.5")
    check(CheckKind.OPEN_RS, "$\\frac{1}{2}$", "\\boxed{0.5}")
