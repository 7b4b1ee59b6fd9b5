"""Taking a run dir for one run: its lock, where training starts, its config, in that order."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from openrs.errors import Interrupted
from openrs.ranks import is_main_process
from openrs.run_dir.checkpoints import checkpoint_dirs, checkpoint_problem, checkpoint_step
from openrs.run_dir.history import ConfigChange, ConfigChangedError, check_resume_config, record_start
from openrs.run_dir.layout import RunDir
from openrs.run_dir.lock import hold_run_dir
from openrs.run_dir.metrics import read_metrics_rows
from openrs.run_dir.resume import ResumePoint, plan_resume

log = logging.getLogger(__name__)


@contextmanager
def claim_run_dir(
    run_dir: str | Path, resume: str, max_steps: int, config_yaml: str, exclusive: bool = True
) -> Iterator[ResumePoint]:
    """Hold the run dir (when `exclusive`: the command a user started, not the processes it launched),
    decide where training starts, check the config against the run's and save it; yields where training
    starts.

    A finished run is reported as such (training has nothing to do); a resume whose config would change
    what was trained is refused (ConfigChangedError); Ctrl-C or SIGTERM inside the block becomes
    `Interrupted`, saying where the run stopped.
    """
    run_dir = RunDir(run_dir)
    top = exclusive and is_main_process()
    with hold_run_dir(run_dir) if top else nullcontext(run_dir):
        start = plan_resume(run_dir, resume, max_steps, may_move=top)
        if top:  # the processes it launches train with the config it checked and saved
            changes = _checked_changes(run_dir, config_yaml, start)
            if not start.complete:  # after an earlier run's files were moved aside
                record_start(run_dir, start.step, changes, config_yaml)
        if start.complete and top:
            log.info(
                "run dir %s is complete: %s reached step %d of trainer.max_steps=%d; nothing to train "
                "(raise trainer.max_steps to continue it, or choose another hydra.run.dir)",
                run_dir, start.checkpoint.name, start.step, start.target_step,
            )  # fmt: skip
        try:
            yield start
        except KeyboardInterrupt as err:
            raise interrupted(run_dir, err, quiet=not top) from None
    if top:
        log.info("run dir: %s", run_dir)


def _checked_changes(run_dir: RunDir, config_yaml: str, start: ResumePoint) -> list[ConfigChange]:
    """How the config differs from the run's (none for a new run); a refused resume leaves no trace."""
    if start.checkpoint is None:
        return []
    try:
        return check_resume_config(run_dir, config_yaml, start.checkpoint)
    except ConfigChangedError:
        from openrs.run_dir.hydra_check import restore_hydra_files

        restore_hydra_files(run_dir)
        raise


def interrupted(run_dir: str | Path, err: KeyboardInterrupt, quiet: bool = False) -> Interrupted:
    """The interrupt as one line: the last step logged, the last checkpoint whole, how to resume."""
    signum = getattr(err, "signum", signal.SIGINT)
    if quiet:
        return Interrupted(signum, quiet=True)
    run_dir = RunDir(run_dir)
    steps = [row.get("step") for row in read_metrics_rows(run_dir.metrics)[0]]
    step = max((s for s in steps if isinstance(s, int)), default=0)
    saved = next((p for p in reversed(checkpoint_dirs(run_dir)) if checkpoint_problem(p) is None), None)
    where = f"the last checkpoint is step {checkpoint_step(saved)}" if saved else "no checkpoint yet"
    return Interrupted(
        signum,
        f"interrupted at step {step}; {where}; rerun the same command with hydra.run.dir={run_dir} to resume",
    )
