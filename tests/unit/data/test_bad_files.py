"""Bad data files end in one line naming the file (and line or row) and what to do, before any model loads."""

from __future__ import annotations

import json

import pytest

from openrs.config.schema import DatasetConfig
from openrs.data import build_train_dataset
from openrs.errors import ConfigError

GOOD = {"problem": "What is 1 + 1?", "answer": "2"}


def _lines(*rows) -> str:
    return "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)


# (file name, content, expected message): each is how a user's file really goes wrong.
BAD_FILES = [
    ("empty.jsonl", "", r"empty.jsonl is empty; give a file with one JSON object per line"),
    ("blank.jsonl", "\n  \n", r"blank.jsonl is empty"),
    ("cut.jsonl", _lines(GOOD, GOOD, '{"problem": "What is 2 + 2?", "ans'),
     r"cut.jsonl, line 3: not valid JSON \(Unterminated string.*\); fix or delete that line"),
    ("comma.jsonl", _lines(GOOD, '{"problem": "x",}'), r"comma.jsonl, line 2: not valid JSON"),
    ("list.jsonl", _lines(GOOD, [1, 2]), r"list.jsonl, line 2: expected a JSON object, got a list"),
    ("mixed.jsonl", _lines(GOOD, GOOD, {"problem": "What is 3 + 0?", "answer": 3}),
     r"mixed.jsonl, line 3: column 'answer' is a number here but text in line 1; give the column one type"),
    ("rows.json", json.dumps([GOOD, "What is 2 + 2?"]), r"rows.json, item 2: expected a JSON object, got text"),
    ("numbers.jsonl", _lines({"problem": 7, "answer": "7"}),
     r"column 'problem' holds int64 values, expected text"),
    ("lists.jsonl", _lines({"problem": "Roots of x^2 = 1?", "answer": ["1", "-1"]}),
     r"column 'answer' holds List values, expected text or a number"),
    ("objects.jsonl", _lines({"problem": "x", "answer": {"value": 1}}),
     r"column 'answer' holds dict values, expected text or a number"),
    ("nulls.jsonl", _lines(GOOD, {"problem": None, "answer": "2"}),
     r"column 'problem' is null in row 2; fill it or drop that row"),
    ("junk.parquet", "not parquet at all", r"junk.parquet is not a valid parquet file: "),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_a_bad_file_is_one_line_naming_it(tmp_path, tokenizer, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as err:
        build_train_dataset(
            DatasetConfig(name="local", path=str(path), solution_column=None), tokenizer, seed=0
        )
    assert "\n" not in str(err.value) and str(tmp_path) in str(err.value)


def test_a_null_gold_answer_is_missing_not_the_text_none(tmp_path, tokenizer):
    path = tmp_path / "q.jsonl"
    path.write_text(_lines(GOOD, {"problem": "Name the noble gas with 10 protons.", "answer": None}))
    cfg = DatasetConfig(name="local", path=str(path), solution_column=None, require_parseable_answer=True)
    assert build_train_dataset(cfg, tokenizer, seed=0)["answer"] == ["2"]  # dropped as unparseable
    cfg = DatasetConfig(name="local", path=str(path), solution_column=None)
    answers = sorted(build_train_dataset(cfg, tokenizer, seed=0)["answer"])
    assert answers == ["", "2"]

    from openrs.rewards import accuracy_reward

    completion = [{"role": "assistant", "content": "<answer>\\boxed{Neon}</answer>"}]
    assert accuracy_reward([completion], answer=[""], num_workers=0) == [0.0]
