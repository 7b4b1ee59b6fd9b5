"""Mix sources: validated in one line before any I/O; rows split by weight or count, exactly."""

from __future__ import annotations

import pytest

from openrs.config.schema import DatasetConfig
from openrs.data.mix import plan_rows, resolve_sources
from openrs.errors import ConfigError


def mix_config(**mix) -> DatasetConfig:
    return DatasetConfig(name="m", path=None, mix=mix)


def test_single_source_uses_the_top_level_columns():
    (spec,) = resolve_sources(DatasetConfig(name="s", path="x.jsonl", problem_column="question"))
    assert (spec.name, spec.path, spec.problem_column, spec.weight) == ("s", "x.jsonl", "question", None)


def test_mix_sources_override_columns_and_weight_zero_is_left_out():
    specs = resolve_sources(
        mix_config(
            a={"path": "a.jsonl", "weight": 0.7, "answer_column": "gold"},
            b={"path": "b.jsonl", "weight": 0},
            c={"path": "c.jsonl", "rows": 5, "solution_column": None},
        )
    )
    assert [s.name for s in specs] == ["a", "c"]
    assert (specs[0].answer_column, specs[0].problem_column) == ("gold", "problem")
    assert (specs[1].rows, specs[1].solution_column) == (5, None)


@pytest.mark.parametrize(
    "mix, message",
    [
        ({"a": {"path": "a.jsonl", "weight": 0}, "b": {"path": "b.jsonl", "weight": 0.0}}, "sum to zero"),
        ({"a": {"path": "a.jsonl", "weight": 1}, "typo": {"weight": 1}}, "unknown mix source 'typo'"),
        ({"a": {"path": "a.jsonl", "wieght": 1}}, "dataset.mix.a.wieght"),
        ({"a": {"path": "a.jsonl", "weight": 1, "rows": 3}}, "exactly one of"),
        ({"a": {"path": "a.jsonl"}}, "exactly one of"),
        ({"a": {"path": "a.jsonl", "weight": -1}}, "weight must be >= 0"),
        ({"a": {"path": "a.jsonl", "rows": 2.5}}, "whole number"),
        ({"a": "a.jsonl"}, "must be a mapping"),
    ],
)
def test_bad_mix_is_one_config_error(mix, message):
    with pytest.raises(ConfigError, match=message) as err:
        resolve_sources(mix_config(**mix))
    assert "\n" not in str(err.value)


def test_no_path_and_no_mix_is_a_config_error():
    with pytest.raises(ConfigError, match="no path and no mix"):
        resolve_sources(DatasetConfig(path=None))


@pytest.mark.parametrize(
    "weights, total, expected",
    [
        ({"a": 0.3, "b": 0.7}, 100, {"a": 30, "b": 70}),
        ({"a": 1, "b": 1, "c": 1}, 100, {"a": 34, "b": 33, "c": 33}),  # largest remainder, ties by name
        ({"a": 2, "b": 1}, 7, {"a": 5, "b": 2}),
        ({"a": 1.0}, 50, {"a": 50}),
    ],
)
def test_weights_split_the_total_exactly(weights, total, expected):
    specs = resolve_sources(
        mix_config(**{k: {"path": f"{k}.jsonl", "weight": w} for k, w in weights.items()})
    )
    plan = plan_rows(specs, dict.fromkeys(weights, 1000), total)
    assert sum(plan.values()) == total
    assert plan == expected


def test_without_a_total_the_scarcest_source_bounds_the_mix():
    specs = resolve_sources(mix_config(a={"path": "a", "weight": 0.3}, b={"path": "b", "weight": 0.7}))
    plan = plan_rows(specs, {"a": 30, "b": 1000}, None)
    assert plan == {"a": 30, "b": 70}


def test_fixed_rows_come_first_and_weights_share_the_rest():
    specs = resolve_sources(
        mix_config(a={"path": "a", "rows": 10}, b={"path": "b", "weight": 1}, c={"path": "c", "weight": 3})
    )
    assert plan_rows(specs, {"a": 10, "b": 100, "c": 100}, 50) == {"a": 10, "b": 10, "c": 30}


@pytest.mark.parametrize(
    "mix, total, message",
    [
        ({"a": {"path": "a", "weight": 1}}, 200, "has 100 rows after filtering but the mix asks for 200"),
        ({"a": {"path": "a", "rows": 101}}, None, "has 100 rows after filtering but the mix asks for 101"),
        ({"a": {"path": "a", "rows": 60}, "b": {"path": "b", "weight": 1}}, 50, "more than max_rows=50"),
    ],
)
def test_asking_for_more_rows_than_there_are_is_a_config_error(mix, total, message):
    specs = resolve_sources(mix_config(**mix))
    with pytest.raises(ConfigError, match=message):
        plan_rows(specs, {"a": 100, "b": 100}, total)
