"""Experiment loggers: metrics.jsonl always; wandb when chosen, never prompting a batch job."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from openrs.config.schema import RunConfig
from openrs.errors import ConfigError

log = logging.getLogger(__name__)

LOGGERS = ("jsonl", "wandb")


def setup_loggers(cfg: RunConfig, run_dir: str | Path) -> None:
    """Configure wandb through its environment: inside the run dir, offline without an API key."""
    if cfg.logger not in LOGGERS:
        raise ConfigError(f"run.logger={cfg.logger!r} is not one of {LOGGERS}")
    if cfg.logger != "wandb":
        return
    os.environ.setdefault("WANDB_PROJECT", cfg.wandb_project)
    os.environ.setdefault("WANDB_DIR", str(run_dir))
    os.environ.setdefault("WANDB_SILENT", "true")
    os.environ["WANDB_CONSOLE"] = os.environ.get("WANDB_CONSOLE", "off")
    if not os.environ.get("WANDB_API_KEY") and "WANDB_MODE" not in os.environ:
        os.environ["WANDB_MODE"] = "offline"
        log.info("no WANDB_API_KEY: wandb logs offline to %s (sync later with `wandb sync`)", run_dir)
