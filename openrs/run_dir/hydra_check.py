"""A Hydra callback that takes the run dir before Hydra creates it and writes its `.hydra/` files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

from openrs.run_dir.layout import RunDir, RunDirError
from openrs.run_dir.lock import acquire_run_dir, release_run_dir

# A run dir's `.hydra/` files as they were before this command: Hydra rewrites them before the task
# starts, so a resume refused for its config puts the run's own back (`restore_hydra_files`).
_EARLIER_HYDRA_FILES: dict[str, dict[Path, bytes]] = {}


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
        if config.hydra.output_subdir is not None:
            folder = Path(config.hydra.run.dir) / config.hydra.output_subdir
            files = {p: p.read_bytes() for p in folder.glob("*.yaml")} if folder.is_dir() else {}
            _EARLIER_HYDRA_FILES[str(Path(config.hydra.run.dir).resolve())] = files

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


def restore_hydra_files(run_dir: str | Path) -> None:
    """Put back the `.hydra/` files Hydra rewrote for this command (its run did not start)."""
    for path, content in _EARLIER_HYDRA_FILES.pop(str(Path(run_dir).resolve()), {}).items():
        path.write_bytes(content)
