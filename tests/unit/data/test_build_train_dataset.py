"""build_train_dataset on generated files: columns, prompts, filters, mixes, seeds and the run summary."""

from __future__ import annotations

import json

import pytest

from openrs.config.schema import DatasetConfig
from openrs.data import build_train_dataset
from openrs.errors import ConfigError
from openrs.run_dir.layout import DATA_SUMMARY_FILE
from tests.unit.data.conftest import arithmetic_rows, write_jsonl


def local_config(path, **overrides) -> DatasetConfig:
    return DatasetConfig(name="local", path=str(path), system_prompt="Be brief.", **overrides)


def test_source_columns_become_canonical_and_prompts_conversational(tmp_path, tokenizer):
    rows = [{"question": "What is 2 + 2?", "gold": 4, "worked": "2 + 2 = 4", "extra": 1}]
    path = write_jsonl(tmp_path / "q.jsonl", rows)
    cfg = local_config(path, problem_column="question", answer_column="gold", solution_column="worked")
    (row,) = build_train_dataset(cfg, tokenizer, seed=0).to_list()
    assert row == {
        "problem": "What is 2 + 2?",
        "answer": "4",  # gold answers become strings, as the rewards expect
        "solution": "2 + 2 = 4",
        "prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2 + 2?"}],
    }


# (the file's columns, config overrides, the one line after "dataset file <path> has no column ")
MISSING_COLUMNS = [
    (("problem", "answer"), {},
     "'solution' (dataset.solution_column); its columns: problem, answer; "
     "name yours with dataset.solution_column=null"),
    (("question", "final", "worked"), {"solution_column": None},
     "'problem' (dataset.problem_column) or 'answer' (dataset.answer_column); its columns: question, final, "
     "worked; name yours with dataset.problem_column=question dataset.answer_column=final"),
    (("Problem", "gold", "rationale"), {},
     "'problem' (dataset.problem_column) or 'answer' (dataset.answer_column) or 'solution' "
     "(dataset.solution_column); its columns: Problem, gold, rationale; name yours with "
     "dataset.problem_column=Problem dataset.answer_column=gold dataset.solution_column=rationale"),
    (("x", "answer"), {"solution_column": None},
     "'problem' (dataset.problem_column); its columns: x, answer; name yours with dataset.problem_column=x"),
    (("x", "y", "answer"), {"solution_column": None},
     "'problem' (dataset.problem_column); its columns: x, y, answer; "
     "name yours with dataset.problem_column=<one of its columns>"),
]  # fmt: skip


@pytest.mark.parametrize(
    "columns, overrides, expected", MISSING_COLUMNS, ids=[str(c[0]) for c in MISSING_COLUMNS]
)
def test_missing_column_names_the_file_and_the_override_that_fixes_it(
    tmp_path, tokenizer, columns, overrides, expected
):
    path = write_jsonl(tmp_path / "q.jsonl", [{column: "1" for column in columns}])
    with pytest.raises(ConfigError) as err:
        build_train_dataset(local_config(path, **overrides), tokenizer, seed=0)
    assert str(err.value) == f"dataset file {path} has no column {expected}"


def test_missing_column_of_a_mix_source_names_its_entry(tmp_path, tokenizer, two_sources):
    del two_sources["b"]["problem_column"]
    cfg = DatasetConfig(name="m", path=None, solution_column=None, mix=two_sources)
    with pytest.raises(ConfigError) as err:
        build_train_dataset(cfg, tokenizer, seed=0)
    assert str(err.value) == (
        f"dataset source 'b' (dataset file {two_sources['b']['path']}) has no column 'problem' "
        "(dataset.mix.b.problem_column); its columns: q, y; name yours with ++dataset.mix.b.problem_column=q"
    )


def test_long_prompts_are_dropped_and_counted(tmp_path, tokenizer):
    rows = arithmetic_rows(4) + [{"problem": "What is " + " + ".join(["1"] * 200) + "?", "answer": "200"}]
    path = write_jsonl(tmp_path / "q.jsonl", rows)
    cfg = local_config(path, solution_column=None, max_prompt_length=64)
    ds = build_train_dataset(cfg, tokenizer, seed=0, run_dir=tmp_path)
    assert len(ds) == 4 and "200" not in ds["answer"]
    summary = json.loads((tmp_path / DATA_SUMMARY_FILE).read_text())
    counts = summary["sources"]["local"]
    assert (counts["loaded"], counts["dropped_too_long"], counts["taken"]) == (5, 1, 4)


def test_long_prompts_are_kept_for_left_truncation_and_counted(tmp_path, tokenizer):
    long_rows = [
        {"problem": f"What is {i} + " + " + ".join(["1"] * 200) + "?", "answer": "x"} for i in range(2)
    ]
    path = write_jsonl(tmp_path / "q.jsonl", arithmetic_rows(4) + long_rows)
    cfg = local_config(path, solution_column=None, max_prompt_length=64, long_prompts="truncate", max_rows=5)
    ds = build_train_dataset(cfg, tokenizer, seed=0, run_dir=tmp_path)
    assert len(ds) == 5  # nothing dropped; the trainer keeps each prompt's last 64 tokens
    summary = json.loads((tmp_path / DATA_SUMMARY_FILE).read_text())
    counts = summary["sources"]["local"]
    assert "dropped_too_long" not in counts and summary["long_prompts"] == "truncate"
    assert counts["truncated"] == ds["answer"].count("x") >= 1  # counted among the rows taken


def test_unknown_long_prompt_mode_is_one_line(tmp_path, tokenizer):
    path = write_jsonl(tmp_path / "q.jsonl", arithmetic_rows(3))
    with pytest.raises(ConfigError, match=r"dataset.long_prompts='cut' is not one of \('drop', 'truncate'\)"):
        build_train_dataset(local_config(path, solution_column=None, long_prompts="cut"), tokenizer, seed=0)


def test_empty_after_filtering_is_a_config_error(tmp_path, tokenizer):
    path = write_jsonl(tmp_path / "q.jsonl", arithmetic_rows(3))
    with pytest.raises(ConfigError, match="empty after filtering"):
        build_train_dataset(local_config(path, solution_column=None, max_prompt_length=4), tokenizer, seed=0)


def test_duplicates_are_dropped_across_sources_keeping_the_first(tmp_path, tokenizer):
    a = write_jsonl(
        tmp_path / "a.jsonl", arithmetic_rows(4) + [{"problem": "what is 0  +  1?", "answer": "1"}]
    )
    b = write_jsonl(tmp_path / "b.jsonl", arithmetic_rows(6))  # 4 repeat a's problems
    cfg = DatasetConfig(
        name="m",
        path=None,
        solution_column=None,
        mix={"a": {"path": str(a), "weight": 1}, "b": {"path": str(b), "rows": 2}},
    )
    ds = build_train_dataset(cfg, tokenizer, seed=0, run_dir=tmp_path)
    assert sorted(ds["problem"]) == sorted(r["problem"] for r in arithmetic_rows(6))
    sources = json.loads((tmp_path / DATA_SUMMARY_FILE).read_text())["sources"]
    assert (sources["a"]["dropped_duplicates"], sources["b"]["dropped_duplicates"]) == (1, 4)
    assert (sources["a"]["taken"], sources["b"]["taken"]) == (4, 2)


def test_unparseable_gold_answers_are_dropped_on_request(tmp_path, tokenizer):
    rows = arithmetic_rows(3) + [{"problem": "Say nothing.", "answer": a} for a in ["", "$$", "\\text{}"]]
    path = write_jsonl(tmp_path / "q.jsonl", rows)
    cfg = local_config(path, solution_column=None)
    assert len(build_train_dataset(cfg, tokenizer, seed=0)) == 4  # dedupe keeps one "Say nothing."
    cfg = local_config(path, solution_column=None, require_parseable_answer=True, dedupe=False)
    assert sorted(build_train_dataset(cfg, tokenizer, seed=0)["answer"]) == ["1", "2", "3"]


@pytest.fixture
def two_sources(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", arithmetic_rows(50))
    b = write_jsonl(tmp_path / "b.jsonl", arithmetic_rows(50, start=1000, problem_key="q", answer_key="y"))
    return {
        "a": {"path": str(a), "weight": 0.3},
        "b": {"path": str(b), "weight": 0.7, "problem_column": "q", "answer_column": "y"},
    }


def test_mix_takes_rows_by_weight_and_is_deterministic_for_a_seed(tmp_path, tokenizer, two_sources):
    cfg = DatasetConfig(name="m", path=None, solution_column=None, mix=two_sources, max_rows=20)
    first = build_train_dataset(cfg, tokenizer, seed=3, run_dir=tmp_path)["problem"]
    from_a = [p for p in first if int(p.split()[2]) < 1000]
    assert (len(first), len(from_a)) == (20, 6)
    assert build_train_dataset(cfg, tokenizer, seed=3)["problem"] == first
    assert build_train_dataset(cfg, tokenizer, seed=4)["problem"] != first
    summary = json.loads((tmp_path / DATA_SUMMARY_FILE).read_text())
    assert summary["rows"] == 20 and summary["seed"] == 3
    assert {k: (v["taken"], v["share"]) for k, v in summary["sources"].items()} == {
        "a": (6, 0.3),
        "b": (14, 0.7),
    }


def test_single_source_max_rows_is_a_cap(tmp_path, tokenizer):
    path = write_jsonl(tmp_path / "q.jsonl", arithmetic_rows(10))
    assert len(build_train_dataset(local_config(path, solution_column=None, max_rows=4), tokenizer, 0)) == 4
    assert len(build_train_dataset(local_config(path, solution_column=None, max_rows=99), tokenizer, 0)) == 10


def test_only_the_main_process_writes_the_data_summary(tmp_path, tokenizer, monkeypatch):
    path = write_jsonl(tmp_path / "q.jsonl", arithmetic_rows(4))
    monkeypatch.setenv("RANK", "1")
    cfg = local_config(path, solution_column=None)
    assert len(build_train_dataset(cfg, tokenizer, seed=0, run_dir=tmp_path)) == 4
    assert not (tmp_path / DATA_SUMMARY_FILE).exists()
    monkeypatch.setenv("RANK", "0")
    build_train_dataset(cfg, tokenizer, seed=0, run_dir=tmp_path)
    assert (tmp_path / DATA_SUMMARY_FILE).exists()
