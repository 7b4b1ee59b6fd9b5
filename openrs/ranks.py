"""Which process of a multi-process run this is: run-level files are written by the main one only."""

from __future__ import annotations

import os


def is_main_process() -> bool:
    """Whether this is the run's main process (global rank 0, as set by accelerate/torchrun), or a lone one."""
    return os.environ.get("RANK", "0") == "0"
