"""`python -m openrs.train` into a run dir it cannot use: one line naming the dir, exit 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("key", "where", "message"),
    [
        ("hydra.run.dir", "file", "run dir {path} is a file, not a folder; choose another hydra.run.dir"),
        ("hydra.run.dir", "file/run", "cannot create run dir {path}: Not a directory"),
        ("hydra.sweep.dir", "file", "run dir {path} is a file, not a folder"),
    ],
)
def test_an_unusable_run_dir_is_one_line(tmp_path, key, where, message):
    (tmp_path / "file").write_text("not a folder\n")
    path = tmp_path / where
    multirun = ["-m", "seed=1,2"] if key == "hydra.sweep.dir" else []
    result = subprocess.run(
        [sys.executable, "-m", "openrs.train", *multirun, "+experiment=tiny", f"{key}={path}"],
        cwd=REPO, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 2, lines
    assert len(lines) == 1 and message.format(path=path) in lines[0], lines
    assert (tmp_path / "file").read_text() == "not a folder\n"
