"""Where a run starts in its run dir: step 0, its last checkpoint, or nowhere because it is finished."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from openrs.errors import ConfigError
from openrs.run_dir.checkpoints import checkpoint_dirs, checkpoint_step, last_checkpoint, trainer_state
from openrs.run_dir.layout import (
    EARLIER_RUNS_DIR,
    INIT_MODEL_DIR,
    LOCK_FILE,
    LOCK_OWNER_FILE,
    LOG_FILE,
    RunDir,
)

log = logging.getLogger(__name__)

RESUME_MODES = ("auto", "never")
# Left in place by `run.resume=never`: this run's own Hydra files and log, the lock, and the starting model.
KEPT_ON_RESTART = {".hydra", LOG_FILE, LOCK_FILE, LOCK_OWNER_FILE, INIT_MODEL_DIR, EARLIER_RUNS_DIR}


@dataclass(frozen=True)
class ResumePoint:
    """Where training starts: `checkpoint` (None: step 0); `complete` when it has nothing left to do."""

    checkpoint: Path | None = None
    complete: bool = False
    target_step: int | None = None

    @property
    def step(self) -> int:
        """The global step training continues from."""
        return checkpoint_step(self.checkpoint) or 0


def plan_resume(run_dir: str | Path, mode: str, max_steps: int, may_move: bool = True) -> ResumePoint:
    """Decide where to start; an earlier run's files are first moved aside (if `may_move`) with mode "never",
    or when no checkpoint can be resumed from: a run that starts from step 0 overwrites nothing.

    A run is complete when its last good checkpoint reached `max_steps` (or, for max_steps <= 0, the step
    count Transformers computed from the epochs); raising max_steps continues it.
    """
    if mode not in RESUME_MODES:
        raise ConfigError(f"run.resume={mode!r} is not one of {RESUME_MODES}")
    run_dir = RunDir(run_dir)
    if mode == "never":
        if may_move:
            set_aside_earlier_run(run_dir)
        return ResumePoint()
    checkpoint = last_checkpoint(run_dir)
    if checkpoint is None:
        if may_move:  # e.g. checkpoints/ deleted: step 0 must not overwrite the earlier run's metrics
            set_aside_earlier_run(run_dir, why=f"{run_dir} has no checkpoint to resume from")
        return ResumePoint()
    state = trainer_state(checkpoint)
    target = max_steps if max_steps > 0 else int(state.get("max_steps") or 0)
    return ResumePoint(checkpoint, complete=state["global_step"] >= target > 0, target_step=target)


def set_aside_earlier_run(run_dir: str | Path, why: str = "run.resume=never") -> Path | None:
    """Move an earlier run's checkpoints, metrics and other results into `earlier_runs/<time>/`, saying so
    (after `why`).

    Training from step 0 next to them would mix them into a later resume (and trim the metrics away).
    """
    run_dir = RunDir(run_dir)
    if not (checkpoint_dirs(run_dir) or run_dir.metrics.exists() or run_dir.summary.exists()):
        return None
    moved = sorted(p for p in run_dir.path.iterdir() if p.name not in KEPT_ON_RESTART)
    target = run_dir.earlier_runs / time.strftime("%Y-%m-%dT%H-%M-%S")
    suffix = 0
    while target.exists():  # two restarts in one second
        suffix += 1
        target = target.with_name(f"{target.name.split('.')[0]}.{suffix}")
    target.mkdir(parents=True)
    for path in moved:
        path.rename(target / path.name)
    names = ", ".join(p.name + ("/" if p.is_dir() else "") for p in (target / m.name for m in moved))
    log.warning("%s: moved the earlier run's %s to %s; this run starts from step 0", why, names, target)
    return target
