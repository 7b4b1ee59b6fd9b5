"""Errors openrs reports to users as one line, never as a stack trace."""

import signal


class OpenRSError(Exception):
    """Base class for errors caused by the user's config, files or machine."""


class ConfigError(OpenRSError):
    """A config value, key, file or column is wrong; raised before any model loads."""


class EnvironmentUnavailableError(OpenRSError):
    """Something the run needs (the Hub, a GPU, a package) is not available here."""


class RewardError(OpenRSError):
    """A reward function misbehaved while training: it raised, returned the wrong count, NaN, inf or None."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM: the command stops with `message` (none when `quiet`), exit 128 + signum."""

    def __init__(self, signum: int = signal.SIGINT, message: str = "", quiet: bool = False):
        super().__init__(message)
        self.signum, self.message, self.quiet = int(signum), message, quiet
