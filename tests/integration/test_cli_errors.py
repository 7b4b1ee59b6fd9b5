"""Every command, run as a user runs it: a mistake (Hydra's or openrs's) is one ERROR line and exit code 2,
`--help` describes the command, and the console scripts run the same entry points."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_command

# (module, arguments, text the single ERROR line must contain)
MISTAKES = [
    ("openrs.train", ["optimizer.lrr=1"], "unknown config key 'optimizer.lrr'"),
    ("openrs.train", ["model=no_such_model"], "model=no_such_model: no such option in conf/model/"),
    ("openrs.train", ["optimizer.lr=fast"], "optimizer.lr: Value 'fast' of type 'str' could not be converted"),
    ("openrs.train", ["trainer.top_p=1.5"], "trainer.top_p=1.5 is not allowed: must be in (0, 1]"),
    ("openrs.train", ["trainer=[1,2]"], "cannot compose the config from the command line"),
    ("openrs.evaluate", ["eval=no_such_protocol"], "eval=no_such_protocol: no such option in conf/eval/"),
    ("openrs.evaluate", ["eval.limit=0"], "eval.limit must be >= 1 or null, got 0"),
    ("openrs.report", ["/no/such/run"], "/no/such/run"),
    ("openrs.report", ["--no-such-flag", "x"], "unrecognized arguments: --no-such-flag"),
    ("openrs.data.contamination", ["--ngram", "0"], "--ngram 0: an n-gram needs at least 1 word"),
    ("openrs.data.contamination", ["dataset=no_such_set"], "dataset=no_such_set: no such option in conf/dataset/"),
    ("openrs.data.contamination", ["dataset.max_rows=many"], "dataset.max_rows: Value 'many' of type 'str'"),
    ("openrs.rewards.score", ["reward=no_such_reward", "input=in.jsonl", "output=out.jsonl"], "reward=no_such_reward: no such option"),
    ("openrs.rewards.score", ["input=/no/such/file.jsonl", "output=out.jsonl"], "input=/no/such/file.jsonl"),
]  # fmt: skip


def run(module_or_script: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """`python -m <module> args`, or `<script path> args`, from `cwd` (training runs go to cwd/run)."""
    if module_or_script.endswith(("openrs.train", "openrs-train")):
        args = [*args, f"hydra.run.dir={cwd / 'run'}"]
    return run_command(module_or_script, *args, cwd=cwd, timeout=300)


@pytest.mark.parametrize(
    "module, args, expected", MISTAKES, ids=[f"{m} {' '.join(a)}" for m, a, _ in MISTAKES]
)
def test_a_mistake_is_one_error_line_and_exit_2(tmp_path, module, args, expected):
    result = run(module, args, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-2000:]
    assert "Traceback" not in output and "HYDRA_FULL_ERROR" not in output
    errors = [line for line in output.splitlines() if "ERROR" in line]
    assert len(errors) == 1, output[-2000:]
    assert expected in errors[0]
    assert not (tmp_path / "run" / "checkpoints").exists()


@pytest.mark.parametrize(
    "module, expected",
    [
        ("openrs.train", ["+experiment=", "tiny_qwen2_warm", "hydra/launcher=", "python -m openrs.train -m"]),
        ("openrs.evaluate", ["eval=", "paper_n16", "model_path="]),
        ("openrs.report", ["--price-per-gpu-hour", "python -m openrs.report multirun/"]),
        ("openrs.data.contamination", ["--ngram", "deepscaler_subset"]),
        ("openrs.rewards.score", ["reward=", "boxed_accuracy_format", "input="]),
    ],
)
def test_help_describes_the_command(tmp_path, module, expected):
    result = run(module, ["--help"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "examples:" in result.stdout and "base_" not in result.stdout
    for text in expected:
        assert text in result.stdout, text
    if module in ("openrs.evaluate", "openrs.report", "openrs.data.contamination"):
        assert "+experiment=" not in result.stdout and "trainer=" not in result.stdout


@pytest.mark.parametrize(
    "script", ["openrs-train", "openrs-evaluate", "openrs-report", "openrs-contamination", "openrs-score"]
)
def test_console_scripts_run_the_same_commands(tmp_path, script):
    path = shutil.which(script, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.skip(f"{script} is not installed: pip install -e . (pyproject's [project.scripts])")
    result = run(path, ["--help"], tmp_path)
    assert result.returncode == 0 and "examples:" in result.stdout, result.stderr[-2000:]
