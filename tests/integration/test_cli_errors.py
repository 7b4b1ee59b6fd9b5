"""Every command, run as a user runs it: a mistake (Hydra's or openrs's) is one ERROR line and exit code 2,
`--help` describes the command, and the console scripts run the same entry points."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.integration.cli_helpers import REPO, run_command

# (module, arguments, text the single ERROR line must contain)
MISTAKES = [
    ("openrs.train", ["optimizer.lrr=1"], "unknown config key 'optimizer.lrr'"),
    ("openrs.train", ["trainer.max_step=3"], "unknown config key 'trainer.max_step' (did you mean trainer.max_steps?)"),
    ("openrs.train", ["dataset.mix={a:{path:a.jsonl,weight:1},b:{path:b.jsonl,weight:1}}"],
     "dataset.mix has no entry 'a'; add each entry with an override of its own: +dataset.mix.a=..."),
    ("openrs.train", ["--bogus"], "unrecognized arguments: --bogus (see `python -m openrs.train --help`)"),
    ("openrs.evaluate", ["--cfg", "jobx"], "argument --cfg/-c: invalid choice: 'jobx'"),
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
    ("openrs.score", ["reward=no_such_reward", "input=in.jsonl", "output=out.jsonl"], "reward=no_such_reward: no such option"),
    ("openrs.score", ["input=/no/such/file.jsonl", "output=out.jsonl"], "input=/no/such/file.jsonl"),
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
        ("openrs.score", ["reward=", "boxed_accuracy_format", "input="]),
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
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"][script]
    installed = importlib.metadata.entry_points(group="console_scripts", name=script)
    if [e.value for e in installed] != [declared]:  # the environment's, not openrs's: reinstall
        pytest.skip(f"{script} was installed from an older pyproject.toml: pip install -e .")
    result = run(path, ["--help"], tmp_path)
    assert result.returncode == 0 and "examples:" in result.stdout, result.stderr[-2000:]


def test_a_hydra_callbacks_error_is_an_error_line_too(tmp_path):
    """The run dir is checked by a Hydra callback, before Hydra's job logging (whose lines say [HYDRA])."""
    (tmp_path / "a_file").write_text("")
    result = run_command("openrs.train", f"hydra.run.dir={tmp_path / 'a_file'}", cwd=tmp_path, timeout=120)
    lines = (result.stdout + result.stderr).splitlines()
    assert result.returncode == 2 and len(lines) == 1, lines
    assert "[openrs.train][ERROR] - run dir " in lines[0] and "[HYDRA]" not in lines[0]


def _wrong_columns(folder: Path) -> str:
    (folder / "mine.jsonl").write_text(json.dumps({"question": "1+1?", "final": "2"}) + "\n")
    return "dataset.path=mine.jsonl"


# (arguments, what the working dir holds afterwards): Hydra's dated run dirs (and a sweep's) are gone.
CONFIG_ERRORS = [
    (["trainer.top_p=1.5"], []),
    (["-m", "trainer.top_p=1.5", "seed=1,2"], []),
    (["WRONG_COLUMNS"], ["mine.jsonl"]),
]


@pytest.mark.parametrize("args, left", CONFIG_ERRORS, ids=[" ".join(a) for a, _ in CONFIG_ERRORS])
def test_a_config_error_leaves_no_empty_run_dir(tmp_path, args, left):
    args = [_wrong_columns(tmp_path) if arg == "WRONG_COLUMNS" else arg for arg in args]
    result = run_command("openrs.train", *args, cwd=tmp_path, timeout=300)
    errors = [line for line in (result.stdout + result.stderr).splitlines() if "ERROR" in line]
    assert result.returncode == 2 and len(errors) == 1, result.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == left


def test_a_config_error_keeps_a_run_dir_holding_an_earlier_run(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "metrics.jsonl").write_text('{"step": 1}\n')
    result = run_command(
        "openrs.train", "trainer.top_p=1.5", f"hydra.run.dir={run_dir}", cwd=tmp_path, timeout=120
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert (run_dir / "metrics.jsonl").read_text() == '{"step": 1}\n'


def test_the_wrong_column_error_names_the_file_and_the_overrides(tmp_path):
    result = run_command("openrs.train", _wrong_columns(tmp_path), cwd=tmp_path, timeout=300)
    (error,) = [line for line in (result.stdout + result.stderr).splitlines() if "ERROR" in line]
    assert "dataset file mine.jsonl has no column 'problem' (dataset.problem_column)" in error
    assert error.endswith("name yours with dataset.problem_column=question dataset.answer_column=final")
