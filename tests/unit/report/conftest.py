"""Run dirs written the way openrs.train writes them, with chosen contents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml


@pytest.fixture
def write_run():
    """write_run(path, metrics=[...], config=..., summary=..., overrides=[...]) -> path."""

    def _write(path: Path, metrics=(), config=None, summary=None, overrides=None) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        (path / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in metrics))
        if config is not None:
            (path / "config.yaml").write_text(yaml.safe_dump(config))
        if summary is not None:
            (path / "summary.json").write_text(json.dumps(summary))
        if overrides is not None:
            (path / ".hydra").mkdir(exist_ok=True)
            (path / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(list(overrides)))
        return path

    return _write


@pytest.fixture
def step_rows():
    """step_rows(rewards, accuracy=None, lengths=None, step_time=2.0) -> metrics rows for steps 1..n."""
    return _step_rows


def _step_rows(rewards, accuracy=None, lengths=None, step_time=2.0):
    rows = []
    for i, reward in enumerate(rewards):
        row = {"step": i + 1, "loss": 0.0, "reward": reward, "step_time": step_time}
        if accuracy is not None:
            row["rewards/accuracy_reward/mean"] = accuracy[i]
        if lengths is not None:
            row["completions/mean_length"] = lengths[i]
        rows.append(row)
    return rows
