"""wandb setup: offline without an API key, inside the run dir, one wandb run per job, never a prompt.

The end-to-end check (a real sweep logging to wandb offline) is in test_report.py, which trains once.
"""

from __future__ import annotations

import os

import pytest

from openrs.config.schema import RunConfig
from openrs.errors import ConfigError
from openrs.run_dir import RunDir
from openrs.training import loggers

WANDB_VARS = (
    "WANDB_MODE", "WANDB_API_KEY", "WANDB_DIR", "WANDB_RUN_ID", "WANDB_RESUME", "WANDB_PROJECT",
    "WANDB_SILENT", "WANDB_CONSOLE",
)  # fmt: skip


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No wandb variables and no ~/.netrc login: the state of a fresh batch job."""
    for var in WANDB_VARS:
        monkeypatch.setenv(var, "")  # recorded, so that what setup_loggers sets is undone afterwards
        monkeypatch.delenv(var)
    monkeypatch.setenv("NETRC", str(tmp_path / "no_netrc"))
    monkeypatch.setattr(loggers, "_SET_BY_OPENRS", {})
    return monkeypatch


def test_jsonl_leaves_wandb_alone_and_unknown_logger_fails(clean_env, tmp_path):
    loggers.setup_loggers(RunConfig(logger="jsonl"), tmp_path)
    assert "WANDB_DIR" not in os.environ
    with pytest.raises(ConfigError, match="run.logger='tensorboard'"):
        loggers.setup_loggers(RunConfig(logger="tensorboard"), tmp_path)


def test_wandb_without_key_is_offline_in_the_run_dir_with_a_stable_id(clean_env, tmp_path):
    loggers.setup_loggers(RunConfig(logger="wandb", wandb_project="p"), tmp_path / "a")
    assert os.environ["WANDB_MODE"] == "offline"
    assert os.environ["WANDB_DIR"] == str((tmp_path / "a").resolve())
    assert os.environ["WANDB_PROJECT"] == "p"
    first_id = os.environ["WANDB_RUN_ID"]
    assert RunDir(tmp_path / "a").wandb_id.read_text().strip() == first_id
    # the next job of a multirun gets its own dir and id; a resumed run dir gets its old id back
    loggers.setup_loggers(RunConfig(logger="wandb"), tmp_path / "b")
    assert os.environ["WANDB_DIR"] == str((tmp_path / "b").resolve())
    assert os.environ["WANDB_RUN_ID"] != first_id
    loggers.setup_loggers(RunConfig(logger="wandb"), tmp_path / "a")
    assert os.environ["WANDB_RUN_ID"] == first_id


@pytest.mark.parametrize(
    ("env", "netrc", "mode"),
    [
        ({"WANDB_API_KEY": "x" * 40}, None, "online"),
        ({}, "machine api.wandb.ai\n  login user\n  password secret\n", "online"),
        ({"WANDB_MODE": "disabled"}, None, "disabled"),
        ({"WANDB_MODE": "online"}, None, "online"),  # the user's choice is kept, key or not
    ],
)
def test_user_settings_and_logins_are_respected(clean_env, tmp_path, env, netrc, mode):
    for key, value in env.items():
        clean_env.setenv(key, value)
    if netrc:
        (tmp_path / "netrc").write_text(netrc)
        clean_env.setenv("NETRC", str(tmp_path / "netrc"))
    loggers.setup_loggers(RunConfig(logger="wandb"), tmp_path / "run")
    assert os.environ["WANDB_MODE"] == mode
