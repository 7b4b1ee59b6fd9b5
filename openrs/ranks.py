"""Which process of a multi-process run this is: run-level files are written by the main one only."""

from __future__ import annotations

import os


def is_main_process() -> bool:
    """Whether this is the run's main process (global rank 0, as set by accelerate/torchrun), or a lone one.

    Before accelerate sets RANK, a multi-node run's launchers are SLURM's tasks, one per node
    (openrs/launch/multinode.py): the first node's is the main one.
    """
    return os.environ.get("RANK", os.environ.get("SLURM_PROCID", "0")) == "0"
