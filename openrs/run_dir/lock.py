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

# One lock object per run dir in this process, so that holding it again (Hydra's callback, then the
# training entry point) is re-entrant rather than refused: flock belongs to one open file.
_LOCKS: dict[str, object] = {}


class RunDirBusyError(RunDirError):
    """Another process is training in this run dir."""


def acquire_run_dir(run_dir: str | Path) -> RunDir:
    """Take the run dir's lock (again, if this process holds it); a second process is refused in one line.

    The pid is kept beside the lock (not in it) only to say who holds the dir.
    """
    from filelock import FileLock, Timeout

    run_dir = RunDir(run_dir)
    run_dir.check_usable()
    key = str(run_dir.lock.resolve())
    lock = _LOCKS.setdefault(key, FileLock(key))
    try:
        lock.acquire(timeout=0)  # try once: a second run is refused, not queued
    except Timeout:
        raise RunDirBusyError(
            f"run dir {run_dir} is in use by {_owner(run_dir)}; wait for it to end, or choose another "
            "hydra.run.dir"
        ) from None
    if lock.lock_counter == 1:
        run_dir.lock_owner.write_text(f"pid {os.getpid()} on {platform.node()}\n")
    return run_dir


def release_run_dir(run_dir: str | Path) -> None:
    """Give back one hold of the run dir's lock; the last one unlocks it."""
    run_dir = RunDir(run_dir)
    lock = _LOCKS.get(str(run_dir.lock.resolve()))
    if lock is None or not lock.is_locked:
        return
    if lock.lock_counter == 1:
        with suppress(OSError):
            run_dir.lock_owner.unlink()
    lock.release()


@contextmanager
def hold_run_dir(run_dir: str | Path) -> Iterator[RunDir]:
    """Hold the run dir's lock while the block runs (see `acquire_run_dir`)."""
    run_dir = acquire_run_dir(run_dir)
    try:
        yield run_dir
    finally:
        release_run_dir(run_dir)


def _owner(run_dir: RunDir) -> str:
    try:
        return run_dir.lock_owner.read_text().strip() or "another process"
    except OSError:
        return "another process (its pid is not recorded yet)"
