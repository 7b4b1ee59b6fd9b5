"""The completions store: per-item seeds, append and resume, half-written lines, protocol changes."""

from __future__ import annotations

import json

import pytest

from openrs.errors import ConfigError
from openrs.evaluate.completions import CompletionStore, completion_seed


def test_completion_seeds_are_stable_and_distinct():
    seeds = {completion_seed(42, "aime24", str(i), s) for i in range(50) for s in range(4)}
    assert len(seeds) == 200
    assert completion_seed(42, "aime24", "7", 1) == completion_seed(42, "aime24", "7", 1)
    assert completion_seed(42, "aime24", "7", 1) != completion_seed(43, "aime24", "7", 1)
    assert all(0 <= s < 2**31 for s in seeds)


def row(ident: str, sample: int, completion: str = "x") -> dict:
    """A stored row as the runner writes it."""
    return {
        "id": ident, "sample": sample, "completion": completion, "completion_tokens": 3,
        "finish_reason": "stop", "verdict": "wrong", "correct": False, "answer": None,
    }  # fmt: skip


def test_append_then_load_round_trips(tmp_path):
    store = CompletionStore(tmp_path)
    store.append("amc23", [row("a", 0), row("a", 1, "ü")])
    store.append("amc23", [row("b", 0, "z")])
    loaded = store.load("amc23")
    assert sorted(loaded) == [("a", 0), ("a", 1), ("b", 0)]
    assert loaded[("a", 1)]["completion"] == "ü"
    assert store.load("aime24") == {}


def test_a_half_written_last_line_is_cut_and_appends_stay_valid(tmp_path):
    store = CompletionStore(tmp_path)
    store.append("amc23", [row("a", 0)])
    with store.path("amc23").open("a") as f:
        f.write('{"id": "b", "sam')  # the process died here
    assert list(store.load("amc23")) == [("a", 0)]
    store.append("amc23", [row("b", 0)])
    lines = store.path("amc23").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a", "b"]


def test_a_changed_protocol_is_refused(tmp_path):
    store = CompletionStore(tmp_path)
    store.check_protocol({"temperature": 0.6, "seed": 42})
    store.check_protocol({"temperature": 0.6, "seed": 42})  # the same settings resume
    with pytest.raises(ConfigError, match="temperature=0.6"):
        CompletionStore(tmp_path).check_protocol({"temperature": 1.0, "seed": 42})
