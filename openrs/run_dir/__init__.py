"""A run dir's layout: the one place that names what a run writes, where, and how it is read back.

Importable without torch or transformers: the report and evaluation read run dirs too.
"""

from openrs.run_dir.checkpoints import (
    checkpoint_dirs,
    checkpoint_problem,
    checkpoint_step,
    last_checkpoint,
    trainer_state,
)
from openrs.run_dir.history import ConfigChange, ConfigChangedError, config_changes, read_config_history
from openrs.run_dir.layout import RunDir, RunDirError
from openrs.run_dir.lock import RunDirBusyError, acquire_run_dir, hold_run_dir, release_run_dir
from openrs.run_dir.metrics import append_metrics, read_metrics, read_metrics_rows, trim_metrics
from openrs.run_dir.resume import ResumePoint, plan_resume
from openrs.run_dir.session import claim_run_dir, interrupted
from openrs.run_dir.writes import RunWriteError, write_failure

__all__ = [
    "ConfigChange",
    "ConfigChangedError",
    "ResumePoint",
    "RunDir",
    "RunDirBusyError",
    "RunDirError",
    "acquire_run_dir",
    "append_metrics",
    "checkpoint_dirs",
    "claim_run_dir",
    "config_changes",
    "interrupted",
    "checkpoint_problem",
    "checkpoint_step",
    "hold_run_dir",
    "last_checkpoint",
    "plan_resume",
    "read_metrics",
    "read_config_history",
    "read_metrics_rows",
    "release_run_dir",
    "RunWriteError",
    "trainer_state",
    "trim_metrics",
    "write_failure",
]
