"""Experiment loggers: metrics.jsonl always; wandb when chosen, never prompting a batch job."""

from __future__ import annotations

import logging
import netrc
import os
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse

from openrs.config.schema import RunConfig
from openrs.errors import ConfigError
from openrs.ranks import is_main_process
from openrs.run_dir import RunDir

log = logging.getLogger(__name__)

LOGGERS = ("jsonl", "wandb")
# The values openrs set: a multirun runs many jobs in one process, and each job must get its own
# wandb dir, id and mode rather than inherit the previous job's as if the user had set them.
_SET_BY_OPENRS: dict[str, str] = {}


def has_wandb_api_key() -> bool:
    """Whether wandb can authenticate: WANDB_API_KEY, or a `wandb login` entry in ~/.netrc."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname
    try:
        return netrc.netrc(os.environ.get("NETRC")).authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def setup_loggers(cfg: RunConfig, run_dir: str | Path) -> None:
    """Configure wandb through its environment: inside the run dir, offline without an API key."""
    if cfg.logger not in LOGGERS:
        raise ConfigError(f"run.logger={cfg.logger!r} is not one of {LOGGERS}")
    if cfg.logger != "wandb":
        return
    run_dir = Path(run_dir).resolve()
    _finish_previous_wandb_run()
    _set_unless_user("WANDB_PROJECT", cfg.wandb_project)
    _set_unless_user("WANDB_SILENT", "true")
    _set_unless_user("WANDB_CONSOLE", "off")
    os.environ["WANDB_DIR"] = str(run_dir)  # everything a run writes stays in its run dir
    if not _user_set("WANDB_RUN_ID"):
        _set_unless_user("WANDB_RUN_ID", _wandb_run_id(run_dir))
        _set_unless_user("WANDB_RESUME", "allow")
    if not _user_set("WANDB_MODE"):
        _set_unless_user("WANDB_MODE", "online" if has_wandb_api_key() else "offline")
        if os.environ["WANDB_MODE"] == "offline":
            log.info("no wandb API key: wandb logs offline to %s/wandb (upload with `wandb sync`)", run_dir)


def _user_set(key: str) -> bool:
    """Whether the user (not an earlier job of this process) set this environment variable."""
    return key in os.environ and os.environ[key] != _SET_BY_OPENRS.get(key)


def _set_unless_user(key: str, value: str) -> None:
    """Set an environment variable for this run unless the user chose its value."""
    if not _user_set(key):
        os.environ[key] = _SET_BY_OPENRS[key] = value


def _wandb_run_id(run_dir: Path) -> str:
    """The run dir's wandb id, created on its first run so that a resume logs into the same run."""
    path = RunDir(run_dir).wandb_id
    if path.exists():
        return path.read_text().strip()
    run_id = uuid.uuid4().hex[:12]
    if is_main_process():  # only the main process logs to wandb
        run_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(run_id + "\n")
    return run_id


def _finish_previous_wandb_run() -> None:
    """End a wandb run left by an earlier job of this process and drop wandb's cached settings."""
    wandb = sys.modules.get("wandb")
    if wandb is None:
        return
    if wandb.run is not None:
        wandb.finish()
    wandb.teardown()  # wandb reads WANDB_DIR and friends once per process; make it read them again
