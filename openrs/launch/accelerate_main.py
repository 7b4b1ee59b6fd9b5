"""`accelerate launch` as openrs runs it, with a failed training process named in one line.

accelerate's own CLI lets the launcher's error escape as a traceback (torch elastic's `ChildFailedError`, 30-odd
lines ending in a table, or `CalledProcessError` for one process) after the failing process has already printed
its own error; here the same launch ends with one line saying which process failed first and how, and exit
code 1. The arguments are accelerate's (`accelerate launch --help`).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys

log = logging.getLogger("openrs.launch")


def describe_failure(rank: int, exitcode: int) -> str:
    """One line for a training process that ended with `exitcode` (negative: the signal that killed it)."""
    if exitcode < 0:
        try:
            how = f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"was killed by signal {-exitcode}"
    else:
        how = f"exited with code {exitcode}"
    return f"training process {rank} {how} (the first to fail; its own output is above)"


def main(argv: list[str] | None = None) -> int:
    from accelerate.commands.launch import launch_command, launch_command_parser
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s")
    args = launch_command_parser().parse_args(argv)
    try:
        launch_command(args)
    except ChildFailedError as err:
        rank, failure = err.get_first_failure()
        log.error(describe_failure(rank, failure.exitcode))
        return 1
    except subprocess.CalledProcessError as err:  # one process: accelerate runs it without torch elastic
        log.error(describe_failure(0, err.returncode))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
