"""A Hydra callback that checks the run dir before Hydra creates it and writes its `.hydra/` files."""

from __future__ import annotations

from typing import Any

from hydra.experimental.callback import Callback

from openrs.run_dir.layout import RunDir, RunDirError


class CheckRunDir(Callback):
    """A run (or sweep) dir that is a file or cannot be written ends the command in one line, exit 2.

    Hydra turns a callback's exceptions into warnings and then fails on the dir itself with an OS
    error, so the error is reported here (as the command's own errors are) and the command exits.
    """

    def __init__(self, command: str = "train"):
        self.command = command

    def on_run_start(self, config: Any, **kwargs: Any) -> None:
        self._check(config.hydra.run.dir)

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        self._check(config.hydra.sweep.dir)

    def _check(self, path: str) -> None:
        try:
            RunDir(path).check_usable()
        except RunDirError as err:
            from openrs.cli import fail
            from openrs.commands import COMMANDS

            fail(next(c for c in COMMANDS if c.name == self.command), err)  # SystemExit: Hydra lets it out
