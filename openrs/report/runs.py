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
from openrs.jsonl import read_json_lines_numbered
from openrs.run_dir.layout import CONFIG_FILE, METRICS_FILE, RUN_MARKERS, RUN_SUBDIRS, SUMMARY_FILE

log = logging.getLogger(__name__)


OVERRIDES_FILE = Path(".hydra") / "overrides.yaml"
SKIP_DIRS = {*RUN_SUBDIRS, "__pycache__"}
SUMMARY_NUMBERS = ("global_step", "wall_time_s")  # summary.json fields the table computes with
MAX_LINE_WARNINGS = 5  # per file: the rest are counted


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
        hardware = (self.config or {}).get("hardware") if isinstance(self.config, dict) else None
        if not isinstance(hardware, dict):
            return None
        gpus = hardware.get("num_gpus", 0)
        return 0 if hardware.get("device") == "cpu" else int(gpus) if _is_number(gpus) else None


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
    runs = [_load_or_skip(d, name=_run_name(d, root)) for d in dirs]
    if all(run.metrics.empty for run in runs):
        raise ConfigError(f"no run under {root} has logged a training step yet ({METRICS_FILE} is empty)")
    return runs


def _load_or_skip(path: Path, name: str) -> RunRecord:
    """The run, or, when one of its files cannot be read at all, an empty record saying why."""
    try:
        return load_run(path, name)
    except (OSError, ValueError, TypeError) as err:
        return RunRecord(path=path, name=name, warnings=[f"skipped: {type(err).__name__}: {err}"])


def load_run(path: str | Path, name: str | None = None) -> RunRecord:
    """Load one run dir, recording a warning for each missing or half-written file."""
    path = Path(path)
    run = RunRecord(path=path, name=name or path.name)
    run.metrics, problems = read_metrics_table(path / METRICS_FILE)
    run.warnings += problems[:MAX_LINE_WARNINGS]
    if len(problems) > MAX_LINE_WARNINGS:
        run.warnings.append(f"{METRICS_FILE}: {len(problems) - MAX_LINE_WARNINGS} more line(s) skipped")
    if run.metrics.empty:
        run.warnings.append(f"{METRICS_FILE}: no training step logged yet")
    run.config = _read_yaml(path / CONFIG_FILE, run.warnings, "GPU count unknown, no GPU-hours or cost")
    overrides = _read_yaml(path / OVERRIDES_FILE, run.warnings, "overrides unknown", required=False)
    run.overrides = parse_overrides(overrides or [])
    summary_path = path / SUMMARY_FILE
    if summary_path.exists():
        try:
            run.summary = json.loads(summary_path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            run.warnings.append(f"{SUMMARY_FILE}: not valid JSON")
        if run.summary is not None and not isinstance(run.summary, dict):
            run.summary = None
            run.warnings.append(f"{summary_path}: not a JSON object; ignored")
        for key in SUMMARY_NUMBERS:
            value = (run.summary or {}).get(key)
            if value is not None and not _is_number(value):
                run.warnings.append(f"{summary_path}: {key!r} is {_short(value)}, not a number; ignored")
                del run.summary[key]
    if run.summary is None and not run.metrics.empty:
        run.warnings.append(f"no {SUMMARY_FILE} (unfinished or crashed): wall time summed from step_time")
    return run


def read_metrics_table(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """metrics.jsonl as a table indexed by step, and a warning naming file and line for each line skipped
    (half-written, or holding a value that is not a number)."""
    numbered, bad_lines = read_json_lines_numbered(path)
    problems = {n: f"{path}:{n}: malformed line (half-written?); skipped" for n in bad_lines}
    rows = []
    for number, row in numbered:
        problem = _row_problem(row)
        if problem:
            problems[number] = f"{path}:{number}: {problem}; row skipped"
        else:
            rows.append(row)
    table = pd.DataFrame(rows)
    problems = [problems[n] for n in sorted(problems)]
    if table.empty:
        return table, problems
    # A resumed run may log a step twice; the later line is the one that continued.
    return table.drop_duplicates("step", keep="last").set_index("step").sort_index(), problems


def _row_problem(row: dict) -> str | None:
    """Why a metrics row cannot be charted: a step that is not a step number, a value that is not a number."""
    step = row.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        return f"'step' is {_short(step)}, not a step number"
    bad = next((k for k, v in row.items() if v is not None and not _is_number(v)), None)
    return f"{bad!r} is {_short(row[bad])}, not a number" if bad else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:36] + "...'"


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
