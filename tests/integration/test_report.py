"""A real tiny sweep (logging to wandb offline), then the report CLI and the analysis notebook on it.

One multirun serves every test here: training is the slow part (~30-60 s on 2 cores).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from openrs.report import build_report

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "analyze_sweep.ipynb"
MAX_STEPS = (2, 3)


def batch_env(tmp_path: Path) -> dict[str, str]:
    """A batch job's environment: no wandb key, mode or login, so openrs must choose offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env["NETRC"] = str(tmp_path / "no_netrc")
    env["HF_HUB_OFFLINE"] = "1"
    return env


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """`python -m openrs.train -m run.logger=wandb trainer.max_steps=2,3`, stdin closed, from an empty cwd."""
    tmp = tmp_path_factory.mktemp("report")
    cwd, sweep_dir = tmp / "cwd", tmp / "sweep"
    cwd.mkdir()
    steps = ",".join(map(str, MAX_STEPS))
    cmd = [sys.executable, "-m", "openrs.train", "-m", "+experiment=tiny", "run.logger=wandb", f"trainer.max_steps={steps}",
           f"hydra.sweep.dir={sweep_dir}"]  # fmt: skip
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=batch_env(tmp),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert list(cwd.iterdir()) == []  # everything, wandb included, went into the run dirs
    # The sweep's last lines name its dir and the command that tables it.
    last = proc.stdout.splitlines()[-1]
    assert last.startswith(f"  python -m openrs.report {sweep_dir}  # "), proc.stdout[-800:]
    return sweep_dir


def report_cli(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m openrs.report ARGS` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "openrs.report", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_each_job_logs_its_own_offline_wandb_run(sweep):
    run_ids = set()
    for job in range(len(MAX_STEPS)):
        run_id = (sweep / str(job) / "wandb_run_id").read_text().strip()
        (offline_run,) = (sweep / str(job) / "wandb").glob(f"offline-run-*-{run_id}")
        assert (offline_run / f"run-{run_id}.wandb").stat().st_size > 0
        run_ids.add(run_id)
    assert len(run_ids) == len(MAX_STEPS)


def test_report_cli_on_a_real_sweep(sweep, tmp_path):
    proc = report_cli(sweep, "--out", tmp_path, "--price-per-gpu-hour", "2.5")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "report.csv")
    assert table["trainer.max_steps"].tolist() == list(MAX_STEPS)
    assert table["steps"].tolist() == list(MAX_STEPS)
    assert table["status"].tolist() == ["finished"] * len(MAX_STEPS)
    for job, row in table.iterrows():
        lines = [json.loads(line) for line in (sweep / str(job) / "metrics.jsonl").read_text().splitlines()]
        rewards = [line["reward"] for line in lines]
        assert (row.final_reward, row.best_reward) == (rewards[-1], max(rewards))
        assert row.final_accuracy == lines[-1]["rewards/accuracy_reward/mean"]
        assert row.final_completion_length == lines[-1]["completions/mean_length"]
        summary = json.loads((sweep / str(job) / "summary.json").read_text())
        assert row.wall_time_s == summary["wall_time_s"] > 0
        assert (row.num_gpus, row.gpu_hours, row.cost_usd) == (0, 0.0, 0.0)  # hardware=cpu
    markdown = (tmp_path / "report.md").read_text()
    assert "Swept: `trainer.max_steps`." in markdown
    assert "| Open-RS | 4×A40 | 24 h 00 min | — | 96.00 | $42.00 |" in markdown  # — : no validation time
    assert f"| openrs: {sweep.name} (measured) | 2 runs: CPU |" in markdown
    for png in ("reward.png", "accuracy.png", "completion_length.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    assert "| trainer.max_steps |" in proc.stdout


def test_half_written_run_reports_what_is_usable(sweep, tmp_path):
    run = shutil.copytree(sweep / "1", tmp_path / "crashed", ignore=shutil.ignore_patterns("checkpoints"))
    (run / "config.yaml").unlink()
    (run / "summary.json").unlink()
    lines = (run / "metrics.jsonl").read_text().splitlines()
    (run / "metrics.jsonl").write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:40])  # cut mid-line
    report = build_report(run)
    row = report.table.iloc[0]
    assert (row.status, row.steps) == ("unfinished", len(lines) - 1)
    assert pd.isna(row.gpu_hours) and row.wall_time_s > 0
    assert any("malformed line" in w for w in report.warnings)
    assert any("no config.yaml" in w for w in report.warnings)
    proc = report_cli(run)
    assert proc.returncode == 0
    assert "WARNING" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "case, extra, expected",
    [
        ("empty dir", [], "{dir}"),
        ("run without steps", [], "{dir}"),
        ("missing dir", [], "{dir}"),
        ("a run", ["--price-per-gpu-hour", "-1"], "--price-per-gpu-hour: must be a finite number of dollars >= 0, got -1"),
        ("a run", ["--price-per-gpu-hour", "nan"], "--price-per-gpu-hour: must be a finite number of dollars >= 0, got nan"),
        ("a run", ["--price-per-gpu-hour=inf"], "--price-per-gpu-hour: must be a finite number of dollars >= 0, got inf"),
        ("a run", ["--price-per-gpu-hour", "1,10"], "--price-per-gpu-hour: '1,10' is not a number of dollars"),
        ("a run", ["--out", "{dir}/metrics.jsonl/report"], "cannot write the report into {dir}/metrics.jsonl/report"),
    ],
)  # fmt: skip
def test_report_cli_fails_in_one_line(tmp_path, case, extra, expected):
    target = tmp_path / "dir"
    if case != "missing dir":
        target.mkdir()
    if case == "run without steps":
        (target / "config.yaml").write_text("hardware: {device: cpu}\n")
        (target / "metrics.jsonl").write_text('{"step": 1, "rew')
    if case == "a run":
        (target / "config.yaml").write_text("hardware: {device: cpu}\n")
        (target / "metrics.jsonl").write_text('{"step": 1, "reward": 0.5, "step_time": 1.0}\n')
    proc = report_cli(target, *(arg.format(dir=target) for arg in extra))
    assert proc.returncode == 2
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "[openrs.report][ERROR]" in proc.stderr and expected.format(dir=target) in proc.stderr
    assert "$-" not in proc.stderr


def test_analysis_notebook_runs_on_the_sweep(sweep, monkeypatch):
    monkeypatch.setenv("OPENRS_SWEEP_DIR", str(sweep))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, when a cell fails
    outputs = [out for cell in notebook.cells for out in cell.get("outputs", [])]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) >= 3  # reward, accuracy, completion length (plus one per reward function)
    html = "".join(out.get("data", {}).get("text/html", "") for out in outputs)
    assert "trainer.max_steps" in html and "DeepScaleR-1.5B-Preview" in html
