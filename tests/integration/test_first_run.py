"""The README's first command, `python -m openrs.train`: GRPO visibly learning, said in a few readable lines.

One default run (about a minute on 2 quiet cores, from the shipped warm-up): a banner, one concise line per step instead of TRL's raw
dicts, no progress-bar noise, held-out accuracy rising, and at the end the figure and what to try next.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STEP_LINE = re.compile(
    r"step +(\d+)/40 \| reward -?\d+\.\d{3} \| accuracy \d\.\d{3} .* \| length [\d.]+ \| [\d.]+ s/step$"
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, str]:
    run_dir = tmp_path_factory.mktemp("first_run") / "run"
    result = subprocess.run(
        [sys.executable, "-m", "openrs.train", f"hydra.run.dir={run_dir}"],
        cwd=REPO, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir, result.stdout + result.stderr


def test_the_default_run_learns(first_run):
    run_dir, _ = first_run
    result = json.loads((run_dir / "micro_repro.json").read_text())
    assert result["after"] - result["before"] >= 0.15, result
    assert (run_dir / "micro_repro.png").stat().st_size > 0
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 40 and "rewards/accuracy_reward/std" in rows[0]  # the full metrics stay in the file


def test_the_console_says_it_in_readable_lines(first_run):
    run_dir, output = first_run
    lines = output.splitlines()
    banner = next(i for i, line in enumerate(lines) if "openrs train: experiment 'micro_repro'" in line)
    assert [line.split()[0] for line in lines[banner + 1 : banner + 6]] == [
        "model",
        "data",
        "hardware",
        "steps",
        "run",
    ]
    assert "tiny-qwen2-warm" in lines[banner + 1] and "4096 prompts" in lines[banner + 2]
    steps = [int(m.group(1)) for line in lines if (m := STEP_LINE.search(line))]
    assert steps == list(range(1, 41))
    assert "{'loss'" not in output and "Writing model shards" not in output and "examples/s" not in output
    assert sum("held-out accuracy at step" in line for line in lines) == 9  # steps 0, 5, ..., 40
    assert f"figure    {run_dir / 'micro_repro.png'}" in output
    assert f"python -m openrs.evaluate model_path={run_dir} eval=smoke" in output
    assert f"python -m openrs.report {run_dir}" in output
