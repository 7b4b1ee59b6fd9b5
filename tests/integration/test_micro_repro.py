"""The CPU micro reproduction end to end: GRPO raises held-out accuracy; a flipped reward sign does not.

Two runs of `+experiment=micro_repro` (a few minutes on 2 cores): the first warms the tiny model up and
trains with the reward as configured; the second reuses that cached warm-up and negates every reward
weight. Their held-out accuracies before GRPO match; only the working signal improves on it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FLIPPED = ("reward.funcs.accuracy.weight=-1", "reward.funcs.format.weight=-1")

pytestmark = pytest.mark.slow


def run_micro_repro(run_dir: Path, *overrides: str) -> str:
    """Run the experiment through the CLI into `run_dir`; return its output."""
    result = subprocess.run(
        [sys.executable, "-m", "openrs.train", "+experiment=micro_repro", f"hydra.run.dir={run_dir}", *overrides],
        cwd=REPO, capture_output=True, text=True, timeout=1200, stdin=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("micro_repro")
    run_micro_repro(root / "working")
    # The warm-up is seeded: reuse the cached one rather than train it twice.
    shutil.copytree(root / "working" / "init_model", root / "flipped" / "init_model")
    flipped_output = run_micro_repro(root / "flipped", *FLIPPED)
    return {
        name: {"dir": root / name, **json.loads((root / name / "micro_repro.json").read_text())}
        for name in ("working", "flipped")
    } | {"flipped_output": flipped_output}


def test_grpo_raises_held_out_accuracy(runs):
    working = runs["working"]
    assert 0.1 <= working["before"] <= 0.5, "the warm-up should leave room for RL"
    assert working["after"] - working["before"] >= 0.15
    assert [p["step"] for p in working["curve"]] == list(range(0, 41, 5))
    assert (working["dir"] / "micro_repro.png").stat().st_size > 0
    metrics = [json.loads(line) for line in (working["dir"] / "metrics.jsonl").read_text().splitlines()]
    assert len(metrics) == 40


def test_a_flipped_reward_sign_does_not_improve(runs):
    working, flipped = runs["working"], runs["flipped"]
    assert "warm-up:" not in runs["flipped_output"]  # the cached warm-up was reused
    assert flipped["before"] == working["before"]  # same weights, same sampling seed
    assert flipped["after"] <= flipped["before"]
    assert working["after"] - flipped["after"] >= 0.3
