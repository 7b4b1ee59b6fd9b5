"""Taking a run dir for one run: its lock, where training starts, its config, in that order."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from openrs.ranks import is_main_process
from openrs.run_dir.layout import RunDir
from openrs.run_dir.lock import hold_run_dir
from openrs.run_dir.resume import ResumePoint, plan_resume

log = logging.getLogger(__name__)


@contextmanager
def claim_run_dir(
    run_dir: str | Path, resume: str, max_steps: int, config_yaml: str, exclusive: bool = True
) -> Iterator[ResumePoint]:
    """Hold the run dir (when `exclusive`: the command a user started, not the processes it launched),
    decide where training starts, then save the resolved config; yields where training starts.

    A finished run is reported as such (training has nothing to do).
    """
    run_dir = RunDir(run_dir)
    top = exclusive and is_main_process()
    with hold_run_dir(run_dir) if top else nullcontext(run_dir):
        start = plan_resume(run_dir, resume, max_steps, may_move=top)
        if is_main_process() and not start.complete:  # after an earlier run's were moved aside
            run_dir.config.write_text(config_yaml)
        if start.complete and top:
            log.info(
                "run dir %s is complete: %s reached step %d of trainer.max_steps=%d; nothing to train "
                "(raise trainer.max_steps to continue it, or choose another hydra.run.dir)",
                run_dir, start.checkpoint.name, start.step, start.target_step,
            )  # fmt: skip
        yield start
    if top:
        log.info("run dir: %s", run_dir)
