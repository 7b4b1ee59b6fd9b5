"""One run per run dir: an OS file lock, released on any exit (a kill -9 included, by the kernel)."""

from __future__ import annotations

import logging
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from openrs.run_dir.layout import RunDir, RunDirError

log = logging.getLogger(__name__)


class RunDirBusyError(RunDirError):
    """Another process is training in this run dir."""


@contextmanager
def hold_run_dir(run_dir: str | Path) -> Iterator[RunDir]:
    """Hold the run dir's lock while the block runs; a second holder is refused in one line.

    flock locks belong to the open file, so the kernel drops the lock of a process that dies however
    it dies; the pid is kept beside it (not in it) only to say who holds the dir.
    """
    from filelock import FileLock, Timeout

    run_dir = RunDir(run_dir)
    run_dir.check_usable()
    lock = FileLock(run_dir.lock)
    try:
        lock.acquire(timeout=0)  # try once: a second run is refused, not queued
    except Timeout:
        raise RunDirBusyError(
            f"run dir {run_dir} is in use by {_owner(run_dir)}; wait for it to end, or choose another "
            "hydra.run.dir"
        ) from None
    try:
        run_dir.lock_owner.write_text(f"pid {os.getpid()} on {platform.node()}\n")
        yield run_dir
    finally:
        with suppress(OSError):
            run_dir.lock_owner.unlink()
        lock.release()


def _owner(run_dir: RunDir) -> str:
    try:
        return run_dir.lock_owner.read_text().strip() or "another process"
    except OSError:
        return "another process (its pid is not recorded yet)"
