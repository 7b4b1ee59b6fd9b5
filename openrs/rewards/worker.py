"""A math-verify worker process: `python -m openrs.rewards.worker TASK_FD VERDICT_FD`."""

from __future__ import annotations

import contextlib
import signal
import sys
from multiprocessing.connection import Connection

from openrs.rewards.answers import Verdict, check_boxed, parse_gold
from openrs.rewards.worker_pool import GOLD_PARSED, READY


def serve(tasks: Connection, verdicts: Connection) -> None:
    """Receive (gold, boxed answers) tasks; reply GOLD_PARSED, then one verdict per answer as it is decided."""
    while True:
        try:
            task = tasks.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if task is None:
            return
        gold, answers = task
        with contextlib.suppress(Exception):  # an unparseable gold is reported per answer by check_boxed
            parse_gold(gold)
        verdicts.send(GOLD_PARSED)
        for boxed in answers:
            try:
                verdict = check_boxed(gold, boxed)
            except Exception:  # sympy raises many kinds; none of them makes an answer right
                verdict = Verdict.WRONG
            verdicts.send(int(verdict))


def main() -> None:
    """Entry point of a worker started by `VerifyPool`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    check_boxed("1", "1")  # load math-verify's parser before the first real task
    verdicts = Connection(int(sys.argv[2]), readable=False)
    verdicts.send(READY)
    serve(Connection(int(sys.argv[1]), writable=False), verdicts)


if __name__ == "__main__":
    main()
