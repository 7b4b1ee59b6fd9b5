"""Why a write into the run dir failed (a full disk, a read-only file system, a quota), said in one line."""

from __future__ import annotations

import errno
import logging
import os
import shutil
from pathlib import Path

from openrs.run_dir.checkpoints import checkpoint_dirs, checkpoint_problem
from openrs.run_dir.layout import RunDirError

log = logging.getLogger(__name__)

CAUSES = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EFBIG: "the file is too large for the file system",
    errno.EIO: "an I/O error (the disk or network file system failed)",
}
# torch's writer and safetensors report a failed write as text ("basic_ios::clear: iostream error"),
# so a file system this close to full is taken to be the cause.
NEARLY_FULL_BYTES = 16 * 2**20


class RunWriteError(RunDirError):
    """A file of the run could not be written: a full disk, a read-only file system, a quota."""


def write_failure(path: str | Path, err: BaseException) -> str | None:
    """Why writing `path` failed, from the error (or those it came from) or its file system; None if unknown."""
    seen = err
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in CAUSES:
            return CAUSES[seen.errno]
        text = str(seen)
        cause = next((c for n, c in CAUSES.items() if os.strerror(n) in text), None)
        if cause:
            return cause
        seen = seen.__cause__ or seen.__context__
    if isinstance(err, OSError) and err.errno is not None:
        return None  # the OS said why, and it is not one of these
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        stat = os.statvfs(folder)
    except OSError:
        return None
    if stat.f_flag & os.ST_RDONLY:
        return CAUSES[errno.EROFS]
    free = stat.f_bavail * stat.f_frsize
    if free < NEARLY_FULL_BYTES:
        return f"{CAUSES[errno.ENOSPC]} ({free // 1024} KiB free)"
    return None


def checkpoint_write_error(checkpoint: str | Path, cause: str) -> RunWriteError:
    """The one-line error for a checkpoint that could not be saved; its partial folder is removed first."""
    checkpoint = Path(checkpoint)
    removed = ""
    if checkpoint.is_dir() and checkpoint_problem(checkpoint) is not None:
        shutil.rmtree(checkpoint, ignore_errors=True)  # never resumable; frees what it took
        removed = " (its partial folder is removed)"
    run_dir = checkpoint.parent.parent  # <run dir>/checkpoints/checkpoint-N
    others = (p for p in reversed(checkpoint_dirs(run_dir)) if p != checkpoint)
    earlier = next((p for p in others if checkpoint_problem(p) is None), None)
    kept = f"{earlier.name} is untouched" if earlier else "there is no earlier checkpoint"
    return RunWriteError(
        f"cannot save {checkpoint}: {cause}{removed}; {kept}; free space (or fix the file system) and rerun "
        f"the same command with hydra.run.dir={run_dir} to resume"
    )
