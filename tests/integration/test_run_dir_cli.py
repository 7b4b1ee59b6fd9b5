"""`python -m openrs.train` (or `openrs.evaluate`) into a run dir it cannot use: one line naming the dir, exit 2."""

from __future__ import annotations

import pytest

from tests.integration.cli_helpers import run_command

TRAIN = ("openrs.train", "+experiment=tiny")
EVALUATE = ("openrs.evaluate", "model_path=unused", "eval=smoke")


@pytest.mark.parametrize(
    ("command", "key", "where", "message"),
    [
        (
            TRAIN,
            "hydra.run.dir",
            "file",
            "run dir {path} is a file, not a folder; choose another hydra.run.dir",
        ),
        (TRAIN, "hydra.run.dir", "file/run", "cannot create run dir {path}: Not a directory"),
        (TRAIN, "hydra.sweep.dir", "file", "run dir {path} is a file, not a folder"),
        (
            EVALUATE,
            "hydra.run.dir",
            "file",
            "run dir {path} is a file, not a folder; choose another hydra.run.dir",
        ),
    ],
)
def test_an_unusable_run_dir_is_one_line(tmp_path, command, key, where, message):
    (tmp_path / "file").write_text("not a folder\n")
    path = tmp_path / where
    multirun = ["-m", "seed=1,2"] if key == "hydra.sweep.dir" else []
    result = run_command(command[0], *multirun, *command[1:], f"{key}={path}", timeout=120)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 2, lines
    assert len(lines) == 1 and message.format(path=path) in lines[0], lines
    assert (tmp_path / "file").read_text() == "not a folder\n"
