"""Bad benchmark files, stored completions and model dirs fail in one line that names the file."""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from openrs.errors import ConfigError
from openrs.evaluate.completions import CompletionStore
from openrs.evaluate.files import check_model_dir
from openrs.evaluate.problems import load_problems

ROW = {"id": "a1", "problem": "What is 1+1?", "answer": "2"}


@pytest.mark.parametrize(
    "lines, message",
    [
        ([], "aime24.jsonl is empty"),
        (["", "  "], "aime24.jsonl is empty"),
        ([json.dumps(ROW), '{"id": "a2", "problem": "x", "ans'], "aime24.jsonl:2: not valid JSON"),
        (["[1, 2]"], "aime24.jsonl:1: expected a JSON object, got list"),
        ([json.dumps({**ROW, "answer": None})], "aime24.jsonl:1: 'answer' is null"),
        (
            [json.dumps({**ROW, "answer": ["2"]})],
            "aime24.jsonl:1: 'answer' must be str or int or float, got list",
        ),
        (
            [json.dumps({**ROW, "answer": True})],
            "aime24.jsonl:1: 'answer' must be str or int or float, got bool",
        ),
        ([json.dumps({**ROW, "answer": " "})], "aime24.jsonl:1: 'answer' is empty"),
        ([json.dumps({"id": "a1", "answer": "2"})], "aime24.jsonl:1: no 'problem' column"),
        ([json.dumps({**ROW, "problem": 7})], "aime24.jsonl:1: 'problem' must be str, got int"),
        ([json.dumps({**ROW, "solution": 3})], "aime24.jsonl:1: 'solution' must be str, got int"),
        ([json.dumps(ROW), json.dumps(ROW)], "aime24.jsonl: id 'a1' appears twice"),
    ],
)
def test_bad_benchmark_files(tmp_path, lines, message):
    (tmp_path / "aime24.jsonl").write_text("".join(line + "\n" for line in lines))
    with pytest.raises(ConfigError, match="^" + re.escape(str(tmp_path)) + "/") as err:
        load_problems("aime24", benchmark_dir=str(tmp_path))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_hub_style_rows_load(tmp_path):
    # The Hub's OlympiadBench names the problem `question`; AMC-23 stores answers as numbers.
    (tmp_path / "olympiadbench.jsonl").write_text(
        json.dumps({"id": 3, "question": "q?", "answer": "$5$"}) + "\n"
    )
    (tmp_path / "amc23.jsonl").write_text(json.dumps({"problem": "p?", "answer": 27.0}) + "\n")
    (problem,) = load_problems("olympiadbench", benchmark_dir=str(tmp_path))
    assert (problem.id, problem.problem, problem.answer) == ("3", "q?", "$5$")
    (problem,) = load_problems("amc23", benchmark_dir=str(tmp_path))
    assert (problem.id, problem.answer) == ("line-1", "27.0")


def test_the_paper_checker_needs_math500s_solution(tmp_path):
    (tmp_path / "math500.jsonl").write_text(json.dumps(ROW) + "\n")
    with pytest.raises(ConfigError, match=r"math500.jsonl:1: no 'solution'.*eval.checker=boxed"):
        load_problems("math500", benchmark_dir=str(tmp_path))
    assert load_problems("math500", benchmark_dir=str(tmp_path), checker="boxed")[0].answer == "2"


def test_a_missing_benchmark_file(tmp_path):
    with pytest.raises(ConfigError, match="aime24.jsonl not found"):
        load_problems("aime24", benchmark_dir=str(tmp_path))


STORED = {
    "id": "a1", "sample": 0, "completion": "x", "completion_tokens": 1, "finish_reason": "stop",
    "verdict": "wrong", "correct": False, "answer": None,
}  # fmt: skip


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"id": "a1", "sam', None),  # a half-written last line is cut, not an error
        ("not json", "aime24.jsonl:1: not valid JSON"),
        (json.dumps({**STORED, "sample": "0"}), "aime24.jsonl:1: 'sample' must be int, got str"),
        (json.dumps({**STORED, "correct": 1}), "aime24.jsonl:1: 'correct' must be bool, got int"),
        (
            json.dumps({k: v for k, v in STORED.items() if k != "completion"}),
            "'completion' must be str, got missing",
        ),
        (json.dumps({**STORED, "answer": 5}), "aime24.jsonl:1: 'answer' must be a string or null"),
    ],
)
def test_bad_stored_completions_are_set_aside_with_a_warning(tmp_path, caplog, line, message):
    """A bad row is named (file:line) and kept aside; the good rows stay and the bad one is generated again."""
    store = CompletionStore(tmp_path)
    store.dir.mkdir(parents=True)
    good = {**STORED, "id": "good"}
    store.path("aime24").write_text(json.dumps(good) + "\n" + line + ("" if message is None else "\n"))
    with caplog.at_level("WARNING"):
        rows = store.load("aime24")
    assert list(rows) == [("good", STORED["sample"])]
    if message is None:
        return
    warning = next(r.getMessage() for r in caplog.records if "generated again" in r.getMessage())
    assert message.replace(":1:", ":2:") in warning and str(store.path("aime24")) in warning
    assert store.rejected_path("aime24").read_text() == line + "\n"
    assert store.load("aime24") == rows  # the file now holds only the good row: no second warning


def safetensors_bytes() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [16], "data_offsets": [0, 64]}}).encode()
    return len(header).to_bytes(8, "little") + header + bytes(64)


@pytest.mark.parametrize(
    "case, message",
    [
        ("truncated safetensors", "model.safetensors is truncated or corrupt"),
        ("empty safetensors", "model.safetensors is truncated or corrupt"),
        ("truncated bin", "pytorch_model.bin is truncated or corrupt"),
        ("bad config", "config.json is not valid JSON"),
        ("no weights", "has config.json but no weights"),
        ("missing shard", "model-00002-of-00002.safetensors is missing"),
    ],
)
def test_broken_model_dirs(tmp_path, case, message):
    (tmp_path / "config.json").write_text("{" if case == "bad config" else '{"model_type": "qwen2"}')
    weights = safetensors_bytes()
    if case == "truncated safetensors":
        (tmp_path / "model.safetensors").write_bytes(weights[:-10])
    elif case == "empty safetensors":
        (tmp_path / "model.safetensors").write_bytes(b"")
    elif case == "truncated bin":
        with zipfile.ZipFile(tmp_path / "whole.zip", "w") as archive:
            archive.writestr("archive/data.pkl", b"x" * 1000)
        (tmp_path / "pytorch_model.bin").write_bytes((tmp_path / "whole.zip").read_bytes()[:500])
    elif case == "missing shard":
        (tmp_path / "model-00001-of-00002.safetensors").write_bytes(weights)
        index = {
            "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}
        }
        (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    elif case == "bad config":
        (tmp_path / "model.safetensors").write_bytes(weights)
    with pytest.raises(ConfigError, match=message) as err:
        check_model_dir(tmp_path)
    assert str(tmp_path) in str(err.value)


def test_a_whole_model_dir_passes(tiny_model_dir):
    check_model_dir(tiny_model_dir)


def test_a_broken_checkpoint_of_a_run_is_skipped_and_a_lone_one_fails(tmp_path, caplog):
    from openrs.evaluate.runner import loadable_targets
    from openrs.evaluate.targets import Target

    good, bad = tmp_path / "checkpoint-2", tmp_path / "checkpoint-4"
    for path in (good, bad):
        path.mkdir()
        (path / "config.json").write_text("{}")
    (good / "model.safetensors").write_bytes(safetensors_bytes())
    (bad / "model.safetensors").write_bytes(safetensors_bytes()[:-1])
    targets = [Target(p.name, str(p), step=s) for p, s in ((good, 2), (bad, 4))]
    assert loadable_targets(targets) == targets[:1]
    assert "skipping checkpoint-4" in caplog.text and "model.safetensors is truncated" in caplog.text
    with pytest.raises(ConfigError, match="checkpoint-4/model.safetensors is truncated"):
        loadable_targets(targets[1:])
