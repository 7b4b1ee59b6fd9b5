"""openrs.cli: Hydra's and OmegaConf's errors become one line naming what is wrong; each command's --help."""

from __future__ import annotations

import io
import logging
import re
import tomllib
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from openrs import cli, cli_help
from openrs.commands import COMMANDS, SCORE, TRAIN
from openrs.config.store import register_configs, to_typed
from openrs.errors import ConfigError
from tests.conftest import CONF_DIR, group_options

# (overrides, the start of the one line a user gets)
HYDRA_ERRORS = [
    ("optimizer.lrr=1", "unknown config key 'optimizer.lrr' (did you mean optimizer.lr?); OptimizerConfig has: name, lr,"),
    ("+optimizer.lrr=1", "unknown config key 'optimizer.lrr' (did you mean optimizer.lr?); OptimizerConfig has: name, lr,"),
    ("trainer.max_step=3", "unknown config key 'trainer.max_step' (did you mean trainer.max_steps?); TrainerConfig has:"),
    ("max_steps=3", "unknown config key 'max_steps' (did you mean trainer.max_steps?); TrainConfig has: model,"),
    ("traner.max_steps=3", "unknown config key 'traner' (did you mean trainer?); TrainConfig has: model,"),
    ("model.tiny.hiden_size=3", "unknown config key 'model.tiny.hiden_size' (did you mean model.tiny.hidden_size?)"),
    ("lr=3", "unknown config key 'lr' (did you mean model.tiny.warmup.lr or optimizer.lr?)"),
    ("zzz=1", "unknown config key 'zzz'; TrainConfig has: model,"),
    # A whole dict as one override cannot add entries; `+` with one override per entry can.
    ("dataset.mix={a:{path:a.jsonl,weight:1},b:{path:b.jsonl,weight:1}}",
     "unknown config key 'dataset.mix.a': dataset.mix has no entry 'a'; add each entry with an override of its "
     "own: +dataset.mix.a=..."),
    ("reward.funcs.formt.weight=2",
     "unknown config key 'reward.funcs.formt': reward.funcs has no entry 'formt' (did you mean "
     "reward.funcs.format?); it has: accuracy, format; add each entry with an override of its own: "
     "+reward.funcs.formt=..."),
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


@pytest.mark.parametrize(
    "overrides",
    [
        ["+dataset.mix.a={path:a.jsonl,weight:1}", "+dataset.mix.b={path:b.jsonl,weight:1}"],
        ["+trainer.extra.foo=1"],
    ],
)
def test_the_suggested_plus_form_composes(overrides):
    _compose(overrides)


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


@pytest.fixture
def hydra_console():
    """The root logger as Hydra sets it up before a job: one console handler printing `[HYDRA] message`."""
    root, stream = logging.getLogger(), io.StringIO()
    saved = root.handlers[:]
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("[%(asctime)s][HYDRA] %(message)s"))
    root.handlers[:] = [handler]
    yield stream
    root.handlers[:] = saved


def test_an_error_under_hydras_own_logging_still_says_error(hydra_console):
    with pytest.raises(SystemExit) as exit_:
        cli.fail(TRAIN, ConfigError("run dir /x is not writable; choose another hydra.run.dir"))
    assert exit_.value.code == cli.EXIT_USER_ERROR
    (line,) = hydra_console.getvalue().splitlines()
    assert "[openrs.train][ERROR] - run dir /x is not writable" in line and "[HYDRA]" not in line


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--bogus"], "unrecognized arguments: --bogus (see `python -m openrs.train --help`)"),
        (["--cfg", "jobx"], "argument --cfg/-c: invalid choice: 'jobx'"),
        (["--config-name"], "argument --config-name/-cn: expected one argument"),
    ],
)
def test_a_mistake_in_hydras_own_flags_is_one_error_line(hydra_console, argv, expected):
    with pytest.raises(SystemExit) as exit_:
        cli._check_hydra_flags(TRAIN, argv)
    assert exit_.value.code == cli.EXIT_USER_ERROR
    (line,) = hydra_console.getvalue().splitlines()
    assert "[ERROR] - " + expected in line


@pytest.mark.parametrize("argv", [[], ["-m", "seed=1,2"], ["--cfg", "job", "optimizer.lr=1"], ["-cn", "x"]])
def test_hydras_valid_flags_pass(argv):
    cli._check_hydra_flags(TRAIN, argv)


# (files in the failed run's dir, whether it goes): Hydra's, the lock and the log, and what a run writes
# as it starts, go; anything a run produced keeps the dir.
RUN_DIRS = [
    ([".hydra/config.yaml", "train.log", ".run.lock", ".run.lock.owner"], True),
    ([".hydra/config.yaml", "train.log", "config.yaml", "config_history.jsonl"], True),
    ([".hydra/config.yaml", "train.log", "data_summary.json"], False),
    ([".hydra/config.yaml", "train.log", "metrics.jsonl"], False),
    ([".hydra/config.yaml", "checkpoints/checkpoint-2/model.safetensors"], False),
    ([".hydra/config.yaml", "init_model/config.json"], False),
]


@pytest.mark.parametrize("files, removed", RUN_DIRS, ids=[" ".join(f) for f, _ in RUN_DIRS])
def test_a_failed_runs_dir_goes_only_if_it_holds_nothing_of_a_run(tmp_path, files, removed):
    run_dir = tmp_path / "outputs" / "2026-01-01" / "10-00-00"
    for name in files:
        (run_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (run_dir / name).write_text("x")
    assert cli.remove_unused_run_dir(run_dir, tmp_path) is removed
    assert run_dir.exists() is not removed
    assert (tmp_path / "outputs").exists() is not removed  # emptied folders go, up to the working dir
    assert tmp_path.is_dir()


def test_removing_a_run_dir_keeps_its_neighbours_and_a_chosen_dirs_parent(tmp_path):
    run_dir, other = tmp_path / "outputs" / "day" / "a", tmp_path / "outputs" / "day" / "b"
    for folder in (run_dir, other):
        (folder / ".hydra").mkdir(parents=True)
    assert cli.remove_unused_run_dir(run_dir, tmp_path)
    assert not run_dir.exists() and other.is_dir()
    chosen = tmp_path / "mine" / "run"
    (chosen / ".hydra").mkdir(parents=True)
    assert cli.remove_unused_run_dir(chosen, chosen.parent)
    assert not chosen.exists() and chosen.parent.is_dir()


def test_an_emptied_sweep_goes_with_its_multirun_yaml(tmp_path):
    sweep = tmp_path / "multirun" / "day" / "time"
    (sweep / "0" / ".hydra").mkdir(parents=True)
    (sweep / "multirun.yaml").write_text("x")
    assert cli.remove_unused_run_dir(sweep / "0", tmp_path)
    assert not (tmp_path / "multirun").exists()


@pytest.mark.parametrize("marker, shown", [("config.yaml", True), ("metrics.jsonl", True), (None, False)])
def test_a_sweep_ends_with_the_report_command(tmp_path, capsys, marker, shown):
    sweep = tmp_path / "multirun" / "day"
    (sweep / "0").mkdir(parents=True)
    if marker:
        (sweep / "0" / marker).write_text("x")
    cli.SweepReportHint().on_multirun_end(OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep)}}}))
    lines = capsys.readouterr().out.splitlines()
    assert bool(lines) is shown
    if shown:
        assert lines[-1].startswith(f"  python -m openrs.report {sweep}  #")


def test_train_registers_the_sweep_report_hint():
    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        callbacks = compose("config", return_hydra_config=True).hydra.callbacks
    assert "openrs.cli.SweepReportHint" in [c._target_ for c in callbacks.values()]


# (a config file's opening comment, its description in --help)
DESCRIPTIONS = [
    ("# @package _global_\n# What it is.\n# More.\nkey: 1\n", "What it is."),
    (
        "# A sentence that runs on\n# to a second line. Then more.\n",
        "A sentence that runs on to a second line.",
    ),
    ("# Values, e.g. 1.5 or i.e. two, end here. Not this.\n", "Values, e.g. 1.5 or i.e. two, end here."),
    ("# A question:\n#   python -m openrs.train -m +sweep=x\n# Later.\n", "A question:"),
    ("# No full stop\n#\n# Second paragraph.\n", "No full stop"),
    ("key: 1\n# Not a description.\n", ""),
]


@pytest.mark.parametrize("text, expected", DESCRIPTIONS)
def test_option_description_is_the_first_sentence_of_the_opening_comment(tmp_path, text, expected):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    assert cli_help.option_description(path) == expected


@pytest.mark.parametrize("command", [TRAIN, SCORE], ids=["train", "score"])
def test_help_wraps_each_options_whole_first_sentence(command):
    text = cli_help.groups_text(command)
    lines = text.splitlines()
    assert all(len(line) <= 110 and not line.endswith("...") for line in lines)
    flat = " ".join(line.strip() for line in lines)
    for group in command.groups + command.presets:
        for option, description in cli_help.group_options(group).items():
            assert f"{option} {description.rstrip(':;,')}" in re.sub(r" +", " ", flat), (group, option)


def test_console_scripts_name_each_commands_entry_point():
    scripts = tomllib.loads(Path(CONF_DIR.parent / "pyproject.toml").read_text())["project"]["scripts"]
    assert set(scripts) == {command.script for command in COMMANDS}
    for command in COMMANDS:
        module, _, function = scripts[command.script].partition(":")
        assert module in (command.module, f"{command.module}.__main__") and function == "main", command.name
