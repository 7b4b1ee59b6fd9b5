"""Errors openrs reports to users as one line, never as a stack trace."""


class OpenRSError(Exception):
    """Base class for errors caused by the user's config, files or machine."""


class ConfigError(OpenRSError):
    """A config value, key, file or column is wrong; raised before any model loads."""


class EnvironmentUnavailableError(OpenRSError):
    """Something the run needs (the Hub, a GPU, a package) is not available here."""
