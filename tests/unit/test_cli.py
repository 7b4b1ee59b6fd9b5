"""openrs.cli: Hydra's and OmegaConf's errors become one line naming what is wrong; each command's --help."""

from __future__ import annotations

import logging
import re

import pytest
from hydra import compose, initialize_config_dir

from openrs import cli, cli_help
from openrs.commands import COMMANDS, TRAIN
from openrs.config.store import register_configs, to_typed
from openrs.errors import ConfigError
from tests.conftest import CONF_DIR, group_options

# (overrides, the start of the one line a user gets)
HYDRA_ERRORS = [
    ("optimizer.lrr=1", "unknown config key 'optimizer.lrr'; OptimizerConfig has: name, lr,"),
    ("+optimizer.lrr=1", "unknown config key 'optimizer.lrr'; OptimizerConfig has: name, lr,"),
    ("model=no_such_model", "model=no_such_model: no such option in conf/model/; choose one of: r1_distill_qwen_1p5b"),
    ("+experiment=exp4", "experiment=exp4: no such option in conf/experiment/; choose one of: exp1, exp2, exp3"),
    ("hydra/launcher=slurm", "hydra/launcher=slurm: no such option in conf/hydra/launcher/; choose one of:"),
    ("optimizer.lr=fast", "optimizer.lr: Value 'fast' of type 'str' could not be converted to Float"),
    ("trainer.max_steps=1.5", "trainer.max_steps: Value '1.5' of type 'float' could not be converted to Integer"),
    ("model.tiny=5", "model.tiny: Invalid type assigned: int is not a subclass of TinyModelConfig"),
    ("a=b=c", "cannot parse the override 'a=b=c': mismatched input '='"),
    ("experiment=exp2", "Could not override 'experiment'. No match in the defaults list. To append to your default list use +experiment=exp2"),
    ("dataset.system_prompt=${nope}", "Interpolation key 'nope' not found"),
]  # fmt: skip


def _compose(overrides: list[str]):
    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return to_typed(compose("config", overrides=overrides))


@pytest.mark.parametrize("override, expected", HYDRA_ERRORS, ids=[case[0] for case in HYDRA_ERRORS])
def test_hydra_errors_become_one_line(override, expected):
    with pytest.raises(cli.USER_ERRORS) as err:
        _compose([override])
    line = cli.error_line(err.value)
    assert line.startswith(expected), line
    assert "\n" not in line and "base_model" not in line and "Config search path" not in line


def test_openrs_errors_keep_their_message():
    assert (
        cli.error_line(ConfigError("dataset path not found: /x.jsonl")) == "dataset path not found: /x.jsonl"
    )


def test_exit_on_user_error_logs_one_error_and_exits_2(caplog):
    with pytest.raises(SystemExit) as exit_, caplog.at_level(logging.INFO), cli.exit_on_user_error(TRAIN):
        _compose(["optimizer.lrr=1"])
    assert exit_.value.code == cli.EXIT_USER_ERROR
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].name == "openrs.train"
    assert errors[0].getMessage().startswith("unknown config key 'optimizer.lrr'")


def test_a_bug_is_not_swallowed():
    with pytest.raises(ZeroDivisionError), cli.exit_on_user_error(TRAIN):
        _ = 1 / 0


@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_help_names_the_commands_own_groups_options_and_examples(command):
    text = cli.help_text(command) if command.config_name and command.name != "contamination" else (
        cli.ArgumentParser(command).format_help()
    )  # fmt: skip
    assert command.module in text and command.summary.splitlines()[0] in text
    for group in command.groups + command.presets:
        for option in group_options(group):
            if not option.startswith("base_"):
                assert re.search(rf"[ *]{option} ", text), (group, option)
    assert "base_" not in text
    assert 2 <= len(command.examples) <= 3
    for line, _ in command.examples:
        assert line in text


def test_train_help_marks_the_default_options_and_lists_no_evaluation_group():
    text = cli.help_text(TRAIN)
    assert "*tiny_qwen2_warm " in text and "*micro_arith " in text and "*cpu " in text
    assert "eval=" not in text and "paper_n16" not in text


def test_option_description_is_the_first_comment_line(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("# @package _global_\n# What it is.\n# More.\nkey: 1\n")
    assert cli_help.option_description(path) == "What it is."
