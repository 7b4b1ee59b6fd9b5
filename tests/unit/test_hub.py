"""openrs.hub: local paths, the cache, offline mode, missing or gated Hub ids, and the push checks."""

from __future__ import annotations

import httpx
import pytest
from huggingface_hub import constants
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

from openrs import hub
from openrs.errors import ConfigError, EnvironmentUnavailableError

HINT = "point it at a local copy"


@pytest.fixture(autouse=True)
def empty_cache_and_env(monkeypatch, tmp_path):
    """An empty Hugging Face cache and no offline variable or token, unless a test sets them."""
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_cache"))
    for variable in (*hub.OFFLINE_VARIABLES, "HF_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))  # no stored token either


def online(monkeypatch, reachable: bool = True):
    """Pretend the Hub answers (or not) a TCP connect."""

    def connect(address, timeout):
        if not reachable:
            raise OSError("unreachable")
        return type("Socket", (), {"close": lambda self: None})()

    monkeypatch.setattr(hub.socket, "create_connection", connect)


def hub_error(cls, status: int):
    request = httpx.Request("GET", "https://huggingface.co/api/models/x/auth-check")
    return cls("denied", response=httpx.Response(status, request=request))


def cache_model(tmp_path, repo_id: str) -> None:
    folder = tmp_path / "hf_cache" / f"models--{repo_id.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text("abc")
    (folder / "snapshots" / "abc").mkdir(parents=True)
    (folder / "snapshots" / "abc" / "config.json").write_text("{}")


def cache_dataset(tmp_path, repo_id: str) -> None:
    snapshot = tmp_path / "hf_cache" / f"datasets--{repo_id.replace('/', '--')}" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot / "train.parquet").write_text("")


@pytest.mark.parametrize(
    "variable, value, offline",
    [("HF_HUB_OFFLINE", "1", True), ("TRANSFORMERS_OFFLINE", "1", True), ("HF_HUB_OFFLINE", "true", True),
     ("HF_HUB_OFFLINE", "0", False), ("TRANSFORMERS_OFFLINE", "", False)],
)  # fmt: skip
def test_offline_variables_are_read_when_asked(monkeypatch, variable, value, offline):
    online(monkeypatch)
    monkeypatch.setenv(variable, value)
    ok, where = hub.hub_reachable(0.1)
    assert ok is not offline
    assert (variable in where) is offline


def test_local_paths_must_exist_and_need_no_hub(monkeypatch, tmp_path):
    online(monkeypatch, reachable=False)
    hub.require([hub.Source("model", str(tmp_path)), hub.Source("dataset", str(tmp_path))], 0.1, HINT)
    with pytest.raises(ConfigError, match="dataset path not found: ./no/such.jsonl"):
        hub.require([hub.Source("dataset", "./no/such.jsonl")], 0.1, HINT)


def test_cached_models_and_datasets_need_no_hub(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache_model(tmp_path, "org/model")
    cache_dataset(tmp_path, "org/data")
    hub.require([hub.Source("model", "org/model", "main"), hub.Source("dataset", "org/data")], 0.1, HINT)
    with pytest.raises(EnvironmentUnavailableError, match="dataset 'org/other'"):
        hub.require([hub.Source("model", "org/model", "main"), hub.Source("dataset", "org/other")], 0.1, HINT)


@pytest.mark.parametrize("offline", [True, False])
def test_uncached_ids_without_the_hub_fail_in_one_line_with_the_hint(monkeypatch, offline):
    if offline:
        monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    online(monkeypatch, reachable=False)
    with pytest.raises(EnvironmentUnavailableError) as err:
        hub.require([hub.Source("model", "org/model", "main"), hub.Source("dataset", "org/data")], 0.1, HINT)
    message = str(err.value)
    assert "\n" not in message and message.endswith(HINT)
    assert (
        "cannot reach the Hugging Face Hub" in message
        and "model 'org/model' and dataset 'org/data'" in message
    )
    assert ("TRANSFORMERS_OFFLINE is set" in message) is offline


@pytest.mark.parametrize(
    "error, message",
    [(hub_error(RepositoryNotFoundError, 404), r"model 'org/modle' is not on the Hub \(misspelled"),
     (hub_error(GatedRepoError, 403), r"model 'org/modle' is gated on the Hub: accept its terms")],
)  # fmt: skip
def test_misspelled_or_gated_ids_are_named_as_such(monkeypatch, error, message):
    online(monkeypatch)

    def auth_check(repo_id, repo_type):
        assert (repo_id, repo_type) == ("org/modle", "model")
        raise error

    monkeypatch.setattr("huggingface_hub.auth_check", auth_check)
    with pytest.raises(ConfigError, match=message):
        hub.require([hub.Source("model", "org/modle", "main")], 0.1, HINT)


def test_an_accessible_hub_id_passes(monkeypatch):
    online(monkeypatch)
    monkeypatch.setattr("huggingface_hub.auth_check", lambda repo_id, repo_type: None)
    hub.require([hub.Source("dataset", "org/data")], 0.1, HINT)


def test_push_needs_a_repo_a_token_then_the_hub_then_an_accepted_token(monkeypatch):
    online(monkeypatch)
    with pytest.raises(ConfigError, match="needs run.hub_model_id=<user>/<name>"):
        hub.require_push_access(None, 0.1)
    with pytest.raises(EnvironmentUnavailableError, match="needs a Hugging Face token.*push_to_hub=false"):
        hub.require_push_access("me/run", 0.1)
    monkeypatch.setenv("HF_TOKEN", "hf_x")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(
        EnvironmentUnavailableError, match=r"Hub \(huggingface.co; HF_HUB_OFFLINE is set\) cannot be reached"
    ):
        hub.require_push_access("me/run", 0.1)
    monkeypatch.delenv("HF_HUB_OFFLINE")

    def rejected(self):
        raise hub_error(HfHubHTTPError, 401)

    monkeypatch.setattr("huggingface_hub.HfApi.whoami", rejected)
    with pytest.raises(EnvironmentUnavailableError, match="rejected the Hugging Face token"):
        hub.require_push_access("me/run", 0.1)
    monkeypatch.setattr("huggingface_hub.HfApi.whoami", lambda self: {"name": "me"})
    hub.require_push_access("me/run", 0.1)


def test_training_preflight_checks_push_only_when_asked(monkeypatch, compose_cfg):
    from openrs.preflight import check_sources

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    check_sources(compose_cfg([])[1])  # the offline default: nothing to fetch, nothing to push
    with pytest.raises(EnvironmentUnavailableError, match="run.push_to_hub=true needs a Hugging Face token"):
        check_sources(compose_cfg(["run.push_to_hub=true", "run.hub_model_id=me/run"])[1])


def test_paper_push_settings_reach_trl(compose_cfg, tmp_path):
    from openrs.training.grpo_args import grpo_config_kwargs

    _, cfg = compose_cfg(["run.push_to_hub=true", "run.hub_model_id=me/OpenRS-GRPO"])
    kwargs = grpo_config_kwargs(cfg, tmp_path, [1.0, 1.0])
    assert (kwargs["push_to_hub"], kwargs["hub_model_id"], kwargs["hub_strategy"]) == (
        True,
        "me/OpenRS-GRPO",
        "every_save",
    )
    assert grpo_config_kwargs(compose_cfg([])[1], tmp_path, [1.0, 1.0])["push_to_hub"] is False
