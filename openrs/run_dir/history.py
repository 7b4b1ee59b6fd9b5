"""A run dir holds one run: a resume's config is compared with the run's, and each start is recorded.

Keys that change what is trained (the model, data, rewards, optimizer, trainer, seed, process layout)
refuse the resume; keys that cannot change it (logging, save cadence, the step count, ports) are
allowed, logged and appended to `config_history.jsonl` with the step the run went on from.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from openrs.run_dir.layout import EARLIER_RUNS_DIR, RunDir, RunDirError
from openrs.run_dir.metrics import append_metrics

log = logging.getLogger(__name__)

# Keys (and whole sections) a resume may change: where and how often the run logs, saves and validates,
# how long it trains (the schedule follows the new total: README, Resume), how its processes reach each
# other, threads and memory. Any other difference changes what is trained.
NEUTRAL_KEYS = (
    "run",
    "callbacks",
    "validation",
    "experiment_name",
    "validation",  # generates on the side, training's RNG untouched (only validation.patience can stop it)
    "trainer.max_steps",
    "trainer.save_steps",
    "trainer.save_total_limit",
    "trainer.logging_steps",
    "trainer.log_completions",
    "reward.max_invalid_share",
    "reward.invalid_window",
    "hardware.vllm_server_host",
    "hardware.vllm_server_port",
    "hardware.vllm_server_timeout_s",
    "hardware.vllm_gpu_memory_utilization",
    "hardware.main_process_port",
    "hardware.gradient_checkpointing",
    "hardware.torch_threads",
    "hardware.dataloader_num_workers",
    "hardware.tokenizers_parallelism",
)
UNSET = "(unset)"
_VALUE_CHARS = 60  # longer values are cut in the one-line message (config_history.jsonl has them whole)


class ConfigChangedError(RunDirError):
    """A resume whose config would change what the run dir's run trained."""


@dataclass(frozen=True)
class ConfigChange:
    """One key whose value differs between the run dir's config and the new one."""

    key: str
    old: Any
    new: Any

    @property
    def neutral(self) -> bool:
        """Whether the change cannot alter what is trained (see NEUTRAL_KEYS)."""
        return any(self.key == k or self.key.startswith(k + ".") for k in NEUTRAL_KEYS)

    def __str__(self) -> str:
        return f"{self.key} {_show(self.old)} -> {_show(self.new)}"


def config_changes(old: Mapping, new: Mapping) -> list[ConfigChange]:
    """Every key whose value differs, nested keys dotted; a key on one side only counts unless it has
    its schema default on the other (a field added to openrs since the run started)."""
    defaults = _schema_defaults()
    return [c for c in _diff(old, new, "", defaults) if not _is_default(c, defaults)]


def check_resume_config(run_dir: str | Path, config_yaml: str, checkpoint: Path) -> list[ConfigChange]:
    """The changes from the run dir's config.yaml; ConfigChangedError in one line if any alters the run."""
    run_dir = RunDir(run_dir)
    old, new = _load(run_dir.config), yaml.safe_load(config_yaml)
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        log.warning("cannot compare this config with %s (missing or not a mapping); resuming", run_dir.config)
        return []
    changes = config_changes(old, new)
    refused = [c for c in changes if not c.neutral]
    if refused:
        raise ConfigChangedError(
            f"cannot resume {run_dir} from {checkpoint.name} with a different config: "
            f"{', '.join(map(str, refused))} would change what its run trained; rerun without "
            f"{'that change' if len(refused) == 1 else 'those changes'} to resume, add run.resume=never to "
            f"start over from step 0 (the earlier run moves to {EARLIER_RUNS_DIR}/), or choose another "
            "hydra.run.dir"
        )
    return changes


def record_start(run_dir: str | Path, step: int, changes: list[ConfigChange], config_yaml: str) -> None:
    """Save the config the run goes on with and append this start to config_history.jsonl, saying so."""
    run_dir = RunDir(run_dir)
    if changes:
        log.warning(
            "resuming from step %d with %s (cannot change what is trained; recorded in %s)",
            step, ", ".join(map(str, changes)), run_dir.config_history,
        )  # fmt: skip
    row = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "event": "resume" if step else "start",
        "step": step,
        "changed": {c.key: [c.old, c.new] for c in changes},
    }
    append_metrics(run_dir.config_history, row)
    run_dir.config.write_text(config_yaml)


def read_config_history(run_dir: str | Path) -> list[dict]:
    """The run's starts and resumes, oldest first (time, event, step, changed {key: [old, new]})."""
    from openrs.run_dir.metrics import read_metrics

    return read_metrics(RunDir(run_dir).config_history)


def _diff(old: Any, new: Any, prefix: str, defaults: Any) -> list[ConfigChange]:
    if isinstance(defaults, Mapping):  # a schema section absent on one side: compare its keys one by one
        old = {} if old == UNSET and isinstance(new, Mapping) else old
        new = {} if new == UNSET and isinstance(old, Mapping) else new
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found = []
        for key in [*old, *(k for k in new if k not in old)]:
            below = defaults.get(key) if isinstance(defaults, Mapping) else None
            found += _diff(old.get(key, UNSET), new.get(key, UNSET), f"{prefix}{key}.", below)
        return found
    return [] if old == new else [ConfigChange(prefix.rstrip("."), old, new)]


def _is_default(change: ConfigChange, defaults: Mapping) -> bool:
    if UNSET not in (change.old, change.new):
        return False
    value = defaults
    for part in change.key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False
        value = value[part]
    return (change.new if change.old == UNSET else change.old) == value


def _schema_defaults() -> dict:
    from openrs.config.schema import TrainConfig

    return dataclasses.asdict(TrainConfig())


def _load(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None


def _show(value: Any) -> str:
    text = value if value == UNSET else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 3] + "..."
