"""The command-line edge every openrs command shares: one logging setup, its own --help, one-line errors.

A user's mistake (a misspelled key, an unknown group option, a value of the wrong type, a bad
value openrs rejects) ends every command the same way: one `ERROR` line naming what is wrong, exit
code 2, no stack trace (Hydra's own flags and callbacks too); a misspelled key names the nearest valid
one, and a run dir the failed command made holding nothing yet is removed. A bug in openrs still shows
its traceback; `HYDRA_FULL_ERROR=1` shows one for every error.

A Hydra command describes itself with a `Command` and wraps its task function:

    from openrs.cli import Command, hydra_command

    SCORE = Command(
        name="score", module="openrs.score", config_name="score",
        summary="Score completions with the configured rewards.", groups=("reward",),
        examples=(("python -m openrs.score input=in.jsonl output=out.jsonl", "score a file"),),
    )

    @hydra_command(SCORE)
    def main(cfg: DictConfig) -> None:
        ...  # raise openrs.errors.ConfigError for bad input; the wrapper reports it

An argparse command uses `ArgumentParser` (one-line usage errors), `setup_logging()` and
`exit_on_user_error`:

    parser = cli.ArgumentParser(REPORT)
    args = parser.parse_args(argv)
    cli.setup_logging()
    with cli.exit_on_user_error(REPORT):
        ...

`python -m <module> --help` prints the command's summary, the config groups it uses with each
option's first comment sentence, other keys, and the examples (built in openrs/cli_help.py);
`--hydra-help` still shows Hydra's flags. After a sweep of training runs, `SweepReportHint` (a Hydra
callback in conf/config.yaml) prints the report command for its dir.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import importlib
import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from hydra.experimental.callback import Callback
from omegaconf.errors import OmegaConfBaseException

from openrs.cli_help import CONF_DIR, Command, examples_text, groups_text, help_text
from openrs.config.store import did_you_mean, nearest_keys
from openrs.errors import OpenRSError
from openrs.run_dir.layout import CONFIG_FILE, CONFIG_HISTORY_FILE, RUN_MARKERS

# Hydra's own job-logging format, so that Hydra and argparse commands log alike.
LOG_FORMAT = "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 128  # plus the signal's number, as a shell reports it: 130 for Ctrl-C, 143 for SIGTERM
# Errors caused by the user's command line, config or files (anything else is a bug: traceback).
USER_ERRORS = (OpenRSError, HydraException, OmegaConfBaseException)
# Libraries whose INFO chatter hides openrs's own lines.
QUIET_LOGGERS = ("httpx", "urllib3", "filelock", "datasets", "matplotlib", "torch.distributed")
_OMEGACONF_DETAIL = ("full_key:", "reference_type=", "object_type=")


def setup_logging(level: int = logging.INFO) -> None:
    """Log INFO and above to stderr in Hydra's format; quiet chatty libraries (idempotent)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format=LOG_FORMAT)
    quiet_libraries()


def quiet_libraries() -> None:
    """Keep third-party INFO lines out of the console (Hydra configures the root logger for its jobs)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _strip_detail(text: str) -> list[str]:
    lines = [line.strip() for line in str(text).splitlines()]
    return [line for line in lines if line and not line.startswith(_OMEGACONF_DETAIL)]


def _allowed_keys(object_type: Any) -> str:
    if dataclasses.is_dataclass(object_type):
        return f"; {object_type.__name__} has: " + ", ".join(f.name for f in dataclasses.fields(object_type))
    return ""


def _unknown_key_line(err: OmegaConfBaseException) -> str:
    """A key the config does not have: the nearest valid ones, or how to add an entry to a dict."""
    full_key, key, schema = str(err.full_key), str(getattr(err, "key", "")), getattr(err, "object_type", None)
    prefix = full_key[: len(full_key) - len(key)] if key and full_key.endswith(key) else ""
    parent = getattr(err, "parent_node", None)
    if dataclasses.is_dataclass(schema):
        siblings = [field.name for field in dataclasses.fields(schema)]
    else:
        siblings = [str(name) for name in parent] if parent is not None else []
    hint = did_you_mean(nearest_keys(key, prefix, siblings, schema))
    if dataclasses.is_dataclass(schema) or not prefix:
        return f"unknown config key '{full_key}'{hint}{_allowed_keys(schema)}"
    # A dict of named entries (reward.funcs, dataset.mix, trainer.extra): Hydra adds one only with `+`,
    # and a whole dict given as one override (`dataset.mix={a:{...}}`) cannot add entries either.
    where = prefix.rstrip(".")
    listed = f"; it has: {', '.join(siblings)}" if siblings else ""
    return (
        f"unknown config key '{full_key}': {where} has no entry '{key}'{hint}{listed}; "
        f"add each entry with an override of its own: +{where}.{key}=..."
    )


def _omegaconf_line(err: OmegaConfBaseException) -> str:
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError

    key = getattr(err, "full_key", None)
    if isinstance(err, ConfigAttributeError | ConfigKeyError) and key:
        return _unknown_key_line(err)
    message = " ".join(_strip_detail(str(err)))
    return f"{key}: {message}" if key and key not in message else message


def _missing_config_line(err: MissingConfigException) -> str:
    missing = err.missing_cfg_file or ""
    if err.options is None or "/" not in missing:
        lines = _strip_detail(str(err))
        return " ".join(line for line in lines if not line.startswith(("Config search path", "provider=")))
    group, _, option = missing.rpartition("/")
    options = [o for o in err.options if not o.startswith("base_")]
    return f"{group}={option}: no such option in conf/{group}/; choose one of: {', '.join(options)}"


def error_line(err: BaseException) -> str:
    """One line saying what is wrong, for any error a user can cause (Hydra's, OmegaConf's, openrs's)."""
    if isinstance(err, OverrideParseException):
        reason = _strip_detail(err.message)[0] if _strip_detail(err.message) else str(err)
        return f"cannot parse the override '{err.override}': {reason} (see `--help` for the syntax)"
    if isinstance(err, MissingConfigException):
        return _missing_config_line(err)
    if isinstance(err, OmegaConfBaseException):
        return _omegaconf_line(err)
    if isinstance(err, HydraException) and isinstance(err.__cause__, OmegaConfBaseException):
        return _omegaconf_line(err.__cause__)
    lines = _strip_detail(str(err)) or [type(err).__name__]
    if isinstance(err, HydraException):  # drop the search-path listing Hydra appends
        lines = [line for line in lines if not line.startswith(("Config search path", "provider="))]
    return " ".join(lines)


def fail(command: Command, err: BaseException, context: str = "") -> NoReturn:
    """Report a user error in one ERROR line (after `context`) and exit with code 2."""
    setup_logging()  # composition errors come before Hydra configures logging
    _name_the_level_on_the_console()
    command.logger.error("%s%s", context, error_line(err))
    sys.exit(EXIT_USER_ERROR)


def _name_the_level_on_the_console() -> None:
    """Give console handlers whose lines name no level (Hydra's own `[HYDRA]` format, set up before a job
    starts) openrs's format, so that every error line says ERROR."""
    probe = logging.LogRecord("openrs", logging.ERROR, __file__, 0, "probe", None, None)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler) or not isinstance(handler, logging.StreamHandler):
            continue
        if "ERROR" not in handler.format(probe):
            handler.setFormatter(logging.Formatter(LOG_FORMAT))


@contextlib.contextmanager
def exit_on_user_error(command: Command) -> Iterator[None]:
    """Turn an openrs, Hydra or OmegaConf error raised inside the block into one line and exit 2;
    Ctrl-C or SIGTERM into one line and exit 130 or 143."""
    take_sigterm = threading.current_thread() is threading.main_thread()
    take_sigterm = take_sigterm and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # not submitit's
    if take_sigterm:
        signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        yield
    except USER_ERRORS as err:
        fail(command, err)
    except KeyboardInterrupt as err:
        stop_interrupted(command, err)
    finally:
        if take_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def stop_interrupted(command: Command, err: KeyboardInterrupt) -> NoReturn:
    """Say where an interrupted command stopped (openrs.errors.Interrupted's message) and exit 128 + signal."""
    signum = getattr(err, "signum", signal.SIGINT)
    if not getattr(err, "quiet", False):  # launched processes leave it to their launcher
        setup_logging()
        name = signal.Signals(signum).name
        command.logger.warning("%s", getattr(err, "message", "") or f"interrupted ({name})")
    sys.exit(EXIT_INTERRUPTED + signum)


def _raise_interrupted(signum: int, frame: Any) -> NoReturn:
    from openrs.errors import Interrupted

    raise Interrupted(signum)


class ArgumentParser(argparse.ArgumentParser):
    """argparse for an openrs command: its summary and examples in --help, usage errors in one line."""

    def __init__(self, command: Command, **kwargs: Any):
        self.command = command
        kwargs.setdefault("prog", f"python -m {command.module}")
        kwargs.setdefault("description", f"{command.summary}\n(also installed as `{command.script}`)")
        epilog = [groups_text(command), examples_text(command)]
        kwargs.setdefault("epilog", "\n\n".join(part for part in epilog if part))
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(**kwargs)

    def error(self, message: str) -> NoReturn:
        setup_logging()
        self.command.logger.error("%s (see `%s --help`)", message, self.prog)
        sys.exit(EXIT_USER_ERROR)


@contextlib.contextmanager
def _quiet_broken_pipe() -> Iterator[None]:
    """Output piped into a command that stopped reading (`| head`) ends the command quietly."""
    try:
        yield
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        sys.exit(1)


def _wants_help(argv: list[str]) -> bool:
    return any(arg in ("--help", "-h") for arg in argv)


def _check_hydra_flags(command: Command, argv: list[str]) -> None:
    """Parse Hydra's own flags as `hydra.main` will, so that a mistake there is one ERROR line too."""
    from hydra._internal.utils import get_args_parser  # the parser hydra.main uses (hydra-core 1.3)

    def error(message: str) -> NoReturn:
        fail(command, OpenRSError(f"{message} (see `python -m {command.module} --help`)"))

    parser = get_args_parser()
    parser.error = error  # type: ignore[method-assign]
    parser.parse_args(argv)


# What a run writes into its run dir as it starts, before its data is built; with Hydra's files (hidden)
# and logs, nothing a user would miss from a run dir made by a command that then failed on its config.
_RUN_START_FILES = (CONFIG_FILE, CONFIG_HISTORY_FILE)


def _only_hydra_files(folder: Path, also: tuple[str, ...] = ()) -> bool:
    """Whether `folder` holds nothing but hidden entries (`.hydra/`, the run's lock), logs and `also`."""
    return all(p.name.startswith(".") or p.suffix == ".log" or p.name in also for p in folder.iterdir())


def new_run_dir() -> tuple[Path, Path] | None:
    """The job's run dir if it holds only what Hydra has just written (`.hydra/`, the log, the run's
    lock), nothing of an earlier run, and the folder up to which emptied parents may go: the working
    dir for Hydra's own dated folders, none for a dir chosen with hydra.run.dir or hydra.sweep.dir."""
    if not HydraConfig.initialized():
        return None
    hydra_cfg = HydraConfig.get()
    run_dir, cwd = Path(hydra_cfg.runtime.output_dir).resolve(), Path(hydra_cfg.runtime.cwd).resolve()
    if not hydra_cfg.output_subdir or cwd.is_relative_to(run_dir):  # never the working dir or above it
        return None
    if not (run_dir / hydra_cfg.output_subdir).is_dir() or not _only_hydra_files(run_dir):
        return None
    chosen = {o.split("=")[0].lstrip("+~") for o in hydra_cfg.overrides.hydra}
    chosen &= {"hydra.run.dir", "hydra.sweep.dir", "hydra.sweep.subdir"}
    return run_dir, run_dir.parent if chosen or cwd not in run_dir.parents else cwd


def remove_unused_run_dir(run_dir: Path, up_to: Path) -> bool:
    """Remove a run dir (from `new_run_dir`) that still holds only start-up files, then the folders
    below `up_to` that it leaves empty (an emptied sweep's `multirun.yaml` goes too)."""
    if not run_dir.is_dir() or not _only_hydra_files(run_dir, _RUN_START_FILES):
        return False
    shutil.rmtree(run_dir, ignore_errors=True)
    for parent in run_dir.parents:
        if up_to not in parent.parents:
            break
        left = list(parent.iterdir())
        if [p.name for p in left] == ["multirun.yaml"]:  # Hydra's record of a sweep that has no run left
            left[0].unlink()
        try:
            parent.rmdir()  # only if empty: another run may have started beside this one
        except OSError:
            break
    return True


class SweepReportHint(Callback):
    """After a sweep (`-m`) of training runs, its last lines: where the runs are and the report command."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        runs = [p for p in sweep_dir.glob("*") if any((p / m).exists() for m in RUN_MARKERS)]
        if runs:
            print(  # noqa: T201 - the CLI's output
                f"sweep of {len(runs)} run(s): {sweep_dir}\n"
                f"  python -m openrs.report {sweep_dir}  # one row per run: overrides, rewards, accuracy, cost"
            )


def hydra_command(command: Command) -> Callable[[Callable[[Any], Any]], Callable[[], Any]]:
    """`hydra.main` for an openrs command: own --help, user errors (Hydra's included) in one line, exit 2."""
    import hydra

    def decorate(task: Callable[[Any], Any]) -> Callable[[], Any]:
        started, set_full_error = [], []

        @functools.wraps(task)
        def guarded_task(cfg: Any) -> Any:
            started.append(True)
            if set_full_error:  # composed: processes the task starts must not inherit it
                os.environ.pop("HYDRA_FULL_ERROR", None)
            quiet_libraries()
            if command.setup:
                module, _, name = command.setup.rpartition(".")
                getattr(importlib.import_module(module), name)()
            unused = new_run_dir()
            try:
                with exit_on_user_error(command):
                    return task(cfg)
            except SystemExit as stop:  # a config error before training leaves no empty run dir behind
                if stop.code == EXIT_USER_ERROR and unused is not None:
                    remove_unused_run_dir(*unused)
                raise

        hydra_main = hydra.main(
            config_path=str(CONF_DIR), config_name=command.config_name, version_base="1.3"
        )(guarded_task)

        @functools.wraps(task)
        def main() -> Any:
            if _wants_help(sys.argv[1:]):
                with _quiet_broken_pipe():
                    print(help_text(command))  # noqa: T201 - the CLI's output
                return None
            _check_hydra_flags(command, sys.argv[1:])
            if os.environ.get("HYDRA_FULL_ERROR") == "1":  # the user asked for Hydra's tracebacks
                return hydra_main()
            os.environ["HYDRA_FULL_ERROR"] = "1"  # let Hydra's composition errors reach us, unprinted
            set_full_error.append(True)
            try:
                with _quiet_broken_pipe():  # e.g. `--cfg job | head`
                    return hydra_main()
            except USER_ERRORS as err:
                fail(command, err)
            except KeyboardInterrupt as err:  # while Hydra composes (the task's own are handled inside it)
                stop_interrupted(command, err)
            except Exception as err:
                if started:  # raised by openrs while running: a bug, keep the traceback
                    raise
                # raised by Hydra while parsing the command line or composing the config
                fail(command, err, context="cannot compose the config from the command line: ")
            finally:
                if set_full_error:
                    os.environ.pop("HYDRA_FULL_ERROR", None)
                    set_full_error.clear()

        return main

    return decorate
