"""`python -m openrs.launch.guard CMD...`: run CMD and take its whole process group down with it.

openrs starts a vLLM server in a session of its own, with SIGTERM as its parent-death signal, so that
it stops when openrs dies, even by kill -9. A SIGTERM a server does not finish on (vLLM's API server
can hang in its shutdown, its engine already gone) would leave it running with nobody to escalate; this
guard sits between: it is the session's leader, gets the parent-death SIGTERM itself, and then stops
its group, SIGTERM first and SIGKILL after a grace period. openrs's own stop (a SIGTERM to the group)
takes the same path.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# Below openrs.launch.server.STOP_GRACE_S: the guard escalates before its launcher does (tests shorten it).
GRACE_S = float(os.environ.get("OPENRS_GUARD_GRACE_S", "20"))


def stop_group(signum: int | None = None, frame=None) -> None:
    """SIGTERM this process group, wait up to GRACE_S for the others to exit, SIGKILL them all."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the group's SIGTERM reaches this process too
    group = os.getpgrp()
    os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline and _others_alive(group):
        time.sleep(0.2)
    os.killpg(group, signal.SIGKILL)  # this process included


def _others_alive(group: int) -> bool:
    """Whether a process of `group` other than this one is still running (not a zombie)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == group and fields[0] not in ("Z", "X"):  # pgrp, state
            return True
    return False


def main(command: list[str]) -> int:
    """Run `command` in this process's group until it exits; a SIGTERM stops the whole group."""
    signal.signal(signal.SIGTERM, stop_group)
    return subprocess.Popen(command).wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
