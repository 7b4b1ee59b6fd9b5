"""Whether models and datasets can be had (a local path, the Hugging Face cache, the Hub), checked in one line.

Training (`openrs.preflight`), evaluation (`openrs.evaluate.targets`) and the contamination CLI ask here
before anything downloads. Built on `huggingface_hub`: its cache, its token, its errors; its offline
mode (`HF_HUB_OFFLINE` or `TRANSFORMERS_OFFLINE`) is read when asked, not when imported.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from openrs.data.sources import is_local_path
from openrs.errors import ConfigError, EnvironmentUnavailableError

log = logging.getLogger(__name__)

OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
_TRUE = {"1", "ON", "YES", "TRUE"}  # as huggingface_hub.constants reads these variables


@dataclass(frozen=True)
class Source:
    """A model or dataset a command needs: a local path or a Hub id (at a revision)."""

    kind: str  # "model" or "dataset"
    name: str
    revision: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'"


def offline_variable() -> str | None:
    """The variable that puts the Hub offline (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE), if one is set."""
    return next((v for v in OFFLINE_VARIABLES if os.environ.get(v, "").upper() in _TRUE), None)


def hub_host() -> str:
    """The Hub's host name (HF_ENDPOINT, else huggingface.co)."""
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    return urlparse(endpoint).hostname or "huggingface.co"


def hub_reachable(timeout_s: float) -> tuple[bool, str]:
    """Whether the Hub answers a TCP connect within `timeout_s`, and how to name it in a message."""
    host = hub_host()
    variable = offline_variable()
    if variable:
        return False, f"{host}; {variable} is set"
    try:
        socket.create_connection((host, 443), timeout=timeout_s).close()
    except OSError:
        return False, host
    return True, host


def is_cached(source: Source) -> bool:
    """Whether the Hugging Face cache already holds `source` (a model's config.json, a dataset snapshot)."""
    from huggingface_hub import constants, try_to_load_from_cache
    from huggingface_hub.file_download import repo_folder_name

    if source.kind == "model":
        found = try_to_load_from_cache(source.name, "config.json", revision=source.revision)
        return isinstance(found, str)
    folder = Path(constants.HF_HUB_CACHE) / repo_folder_name(repo_id=source.name, repo_type=source.kind)
    return any((folder / "snapshots").glob("*/*"))


def hub_access_error(source: Source) -> str | None:
    """Why the (reachable) Hub will not serve `source`: not found or gated; None when it will."""
    import httpx
    from huggingface_hub import auth_check
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    try:
        auth_check(source.name, repo_type=source.kind)
    except GatedRepoError:  # a subclass of RepositoryNotFoundError: first
        return (
            f"{source.label} is gated on the Hub: accept its terms on its page, then log in "
            "(`hf auth login` or HF_TOKEN)"
        )
    except RepositoryNotFoundError:
        return f"{source.label} is not on the Hub (misspelled, or private and no token with access)"
    except httpx.HTTPError as err:  # any other answer (or none): the download will say more
        log.warning("could not check %s on the Hub: %s", source.label, str(err).splitlines()[0])
    return None


def require(sources: Iterable[Source], timeout_s: float, hint: str) -> None:
    """Fail in one line unless every source is a local path that exists, cached, or on a reachable Hub.

    `hint` ends the message when the Hub cannot be reached: how to point the command at local copies.
    """
    needs_hub = []
    for source in sources:
        if is_local_path(source.name):
            if not os.path.exists(os.path.expanduser(source.name)):
                raise ConfigError(f"{source.kind} path not found: {source.name}")
        elif not is_cached(source):
            needs_hub.append(source)
    if not needs_hub:
        return
    ok, host = hub_reachable(timeout_s)
    if not ok:
        raise EnvironmentUnavailableError(
            f"cannot reach the Hugging Face Hub ({host}) to fetch "
            f"{' and '.join(s.label for s in needs_hub)}; {hint}"
        )
    for source in needs_hub:
        error = hub_access_error(source)
        if error:
            raise ConfigError(error)


def require_push_access(hub_model_id: str | None, timeout_s: float) -> None:
    """Before training with run.push_to_hub: a repo name, a token, the Hub answers and accepts the token."""
    from huggingface_hub import HfApi, get_token
    from huggingface_hub.errors import HfHubHTTPError

    off = "or set run.push_to_hub=false to train without pushing checkpoints"
    if not hub_model_id:
        raise ConfigError(f"run.push_to_hub=true needs run.hub_model_id=<user>/<name>, {off}")
    if get_token() is None:
        raise EnvironmentUnavailableError(
            f"run.push_to_hub=true needs a Hugging Face token: `hf auth login` or HF_TOKEN, {off}"
        )
    ok, host = hub_reachable(timeout_s)
    if not ok:
        raise EnvironmentUnavailableError(
            f"run.push_to_hub=true but the Hub ({host}) cannot be reached: train where it can, {off}"
        )
    try:
        user = HfApi().whoami()["name"]
    except HfHubHTTPError as err:
        raise EnvironmentUnavailableError(
            f"the Hub rejected the Hugging Face token ({str(err).splitlines()[0]}): log in again, {off}"
        ) from err
    log.info("checkpoints will be pushed to the Hub repo %s as %s", hub_model_id, user)
