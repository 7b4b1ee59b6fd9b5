"""A Hydra callback that takes the run dir before Hydra creates it and writes its `.hydra/` files."""

from __future__ import annotations

from typing import Any

from hydra.experimental.callback import Callback

from openrs.run_dir.layout import RunDir, RunDirError
from openrs.run_dir.lock import acquire_run_dir, release_run_dir


class CheckRunDir(Callback):
    """A run dir that is a file, unwritable or held by another run ends the command in one line, exit 2.

    For a single run the lock is taken here, before Hydra overwrites `.hydra/` and appends to the log,
    and held until the run ends (the entry point holds it again, re-entrantly). Hydra turns a
    callback's exceptions into warnings, so the error is reported here as the command's own are.
    """

    def __init__(self, command: str = "train"):
        self.command = command

    def on_run_start(self, config: Any, **kwargs: Any) -> None:
        self._check(lambda: acquire_run_dir(config.hydra.run.dir))

    def on_run_end(self, config: Any, **kwargs: Any) -> None:
        release_run_dir(config.hydra.run.dir)

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        self._check(lambda: RunDir(config.hydra.sweep.dir).check_usable())  # each job locks its own dir

    def _check(self, check) -> None:
        try:
            check()
        except RunDirError as err:
            from openrs.cli import fail
            from openrs.commands import COMMANDS

            fail(next(c for c in COMMANDS if c.name == self.command), err)  # SystemExit: Hydra lets it out
