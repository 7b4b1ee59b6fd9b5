"""The command-line edge every openrs command shares: one logging setup, its own --help, one-line errors.

A user's mistake (a misspelled key, an unknown group option, a value of the wrong type, a bad
value openrs rejects) ends every command the same way: one `ERROR` line naming what is wrong, exit
code 2, no stack trace. A bug in openrs still shows its traceback; `HYDRA_FULL_ERROR=1` shows one
for every error.

A Hydra command describes itself with a `Command` and wraps its task function:

    from openrs.cli import Command, hydra_command

    SCORE = Command(
        name="score", module="openrs.rewards.score", config_name="score",
        summary="Score completions with the configured rewards.", groups=("reward",),
        examples=(("python -m openrs.rewards.score input=in.jsonl output=out.jsonl", "score a file"),),
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
option's first comment line, other keys, and the examples (built in openrs/cli_help.py); `--hydra-help`
still shows Hydra's flags.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import importlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from omegaconf.errors import OmegaConfBaseException

from openrs.cli_help import CONF_DIR, Command, examples_text, groups_text, help_text
from openrs.errors import OpenRSError

# Hydra's own job-logging format, so that Hydra and argparse commands log alike.
LOG_FORMAT = "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"
EXIT_USER_ERROR = 2
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


def _omegaconf_line(err: OmegaConfBaseException) -> str:
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError

    key = getattr(err, "full_key", None)
    if isinstance(err, ConfigAttributeError | ConfigKeyError) and key:
        return f"unknown config key '{key}'{_allowed_keys(getattr(err, 'object_type', None))}"
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
    command.logger.error("%s%s", context, error_line(err))
    sys.exit(EXIT_USER_ERROR)


@contextlib.contextmanager
def exit_on_user_error(command: Command) -> Iterator[None]:
    """Turn an openrs, Hydra or OmegaConf error raised inside the block into one line and exit 2."""
    try:
        yield
    except USER_ERRORS as err:
        fail(command, err)


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
            with exit_on_user_error(command):
                return task(cfg)

        hydra_main = hydra.main(
            config_path=str(CONF_DIR), config_name=command.config_name, version_base="1.3"
        )(guarded_task)

        @functools.wraps(task)
        def main() -> Any:
            if _wants_help(sys.argv[1:]):
                with _quiet_broken_pipe():
                    print(help_text(command))  # noqa: T201 - the CLI's output
                return None
            if os.environ.get("HYDRA_FULL_ERROR") == "1":  # the user asked for Hydra's tracebacks
                return hydra_main()
            os.environ["HYDRA_FULL_ERROR"] = "1"  # let Hydra's composition errors reach us, unprinted
            set_full_error.append(True)
            try:
                with _quiet_broken_pipe():  # e.g. `--cfg job | head`
                    return hydra_main()
            except USER_ERRORS as err:
                fail(command, err)
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
