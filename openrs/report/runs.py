"""Finds the runs under a run or multirun dir and loads what each wrote, warning about gaps."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from openrs.errors import ConfigError
from openrs.run_dir import read_metrics_rows
from openrs.run_dir.layout import CONFIG_FILE, METRICS_FILE, RUN_MARKERS, RUN_SUBDIRS, SUMMARY_FILE

log = logging.getLogger(__name__)


OVERRIDES_FILE = Path(".hydra") / "overrides.yaml"
SKIP_DIRS = {*RUN_SUBDIRS, "__pycache__"}


@dataclass
class RunRecord:
    """One run dir as written so far: overrides, resolved config, metrics per step, summary."""

    path: Path
    name: str
    overrides: dict[str, str] = field(default_factory=dict)
    config: dict | None = None
    summary: dict | None = None
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        """Whether the run wrote its summary (it does so after training ends)."""
        return self.summary is not None

    @property
    def num_gpus(self) -> int | None:
        """GPUs the run held: hardware.num_gpus, 0 on CPU, None when its config is missing."""
        hardware = (self.config or {}).get("hardware")
        if not isinstance(hardware, dict):
            return None
        return 0 if hardware.get("device") == "cpu" else int(hardware.get("num_gpus", 0))


def find_run_dirs(root: str | Path) -> list[Path]:
    """Run dirs at or under `root`: folders holding metrics.jsonl, summary.json or config.yaml."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"{root} is not a directory; give a run dir or a multirun dir")
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        if any(marker in filenames for marker in RUN_MARKERS):
            found.append(Path(dirpath))
            dirnames.clear()  # a run's own subfolders (checkpoints, wandb) are not runs
        else:
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
    return sorted(found, key=lambda p: _natural_key(p.relative_to(root)))


def load_runs(root: str | Path) -> list[RunRecord]:
    """Every run under `root`; fails in one line when there is none or none has logged a step."""
    root = Path(root)
    dirs = find_run_dirs(root)
    if not dirs:
        raise ConfigError(f"no runs under {root}: no folder holds {', '.join(RUN_MARKERS)}")
    runs = [load_run(d, name=_run_name(d, root)) for d in dirs]
    if all(run.metrics.empty for run in runs):
        raise ConfigError(f"no run under {root} has logged a training step yet ({METRICS_FILE} is empty)")
    return runs


def load_run(path: str | Path, name: str | None = None) -> RunRecord:
    """Load one run dir, recording a warning for each missing or half-written file."""
    path = Path(path)
    run = RunRecord(path=path, name=name or path.name)
    run.metrics, skipped = read_metrics_table(path / METRICS_FILE)
    if skipped:
        run.warnings.append(f"{METRICS_FILE}: skipped {skipped} malformed line(s) (half-written?)")
    if run.metrics.empty:
        run.warnings.append(f"{METRICS_FILE}: no training step logged yet")
    run.config = _read_yaml(path / CONFIG_FILE, run.warnings, "GPU count unknown, no GPU-hours or cost")
    overrides = _read_yaml(path / OVERRIDES_FILE, run.warnings, "overrides unknown", required=False)
    run.overrides = parse_overrides(overrides or [])
    summary_path = path / SUMMARY_FILE
    if summary_path.exists():
        try:
            run.summary = json.loads(summary_path.read_text())
        except json.JSONDecodeError:
            run.warnings.append(f"{SUMMARY_FILE}: not valid JSON")
    if run.summary is None and not run.metrics.empty:
        run.warnings.append(f"no {SUMMARY_FILE} (unfinished or crashed): wall time summed from step_time")
    return run


def read_metrics_table(path: Path) -> tuple[pd.DataFrame, int]:
    """metrics.jsonl as a table indexed by step, and how many lines could not be parsed."""
    rows, skipped = read_metrics_rows(path)
    table = pd.DataFrame([r for r in rows if "step" in r])
    if table.empty:
        return table, skipped
    # A resumed run may log a step twice; the later line is the one that continued.
    return table.drop_duplicates("step", keep="last").set_index("step").sort_index(), skipped


def parse_overrides(overrides: list[str]) -> dict[str, str]:
    """Hydra's override strings as {key: value}; `+key=v` and `++key=v` become `key`, `~key` is 'deleted'."""
    parsed = {}
    for item in overrides:
        key, sep, value = str(item).partition("=")
        if key.startswith("~"):
            parsed[key[1:]] = "deleted"
        else:
            parsed[key.lstrip("+")] = value if sep else ""
    return parsed


def _read_yaml(path: Path, warnings: list[str], consequence: str, required: bool = True):
    """A YAML file's content, or None with a warning when missing (if required) or unreadable."""
    rel = f"{path.parent.name}/{path.name}" if path.parent.name.startswith(".") else path.name
    if not path.exists():
        if required:
            warnings.append(f"no {rel}: {consequence}")
        return None
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        warnings.append(f"{rel} is not valid YAML ({type(err).__name__}): {consequence}")
        return None


def _run_name(path: Path, root: Path) -> str:
    """A run's name in tables and legends: its path under the root, or its folder name."""
    rel = path.relative_to(root)
    return rel.as_posix() if rel.parts else path.name


def _natural_key(rel: Path) -> list:
    """Sort multirun job folders 0, 1, 2, ..., 10 rather than 0, 1, 10, 2."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in rel.parts]
