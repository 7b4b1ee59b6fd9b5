"""Loading rows: Hub ids versus local paths, packaged files, file formats, and clear errors."""

from __future__ import annotations

import json

import pytest

from openrs.data.sources import check_builtin, is_local_path, load_rows, packaged_files
from openrs.errors import ConfigError
from tests.unit.data.conftest import arithmetic_rows, write_jsonl


@pytest.mark.parametrize(
    "path, local",
    [
        ("knoveleng/open-rs", False),
        ("agentica-org/DeepScaleR-Preview-Dataset", False),
        ("/data/train.jsonl", True),
        ("./train", True),
        ("~/data", True),
        ("data/train.parquet", True),  # a relative file that does not exist yet is still local
    ],
)
def test_is_local_path(path, local):
    assert is_local_path(path) is local


def test_packaged_deepscaler_subset_loads_offline():
    ds = load_rows("builtin:train/deepscaler_subset_aime_math.jsonl", "train", 0, 0)
    assert len(ds) == 8447
    assert {"problem", "answer", "solution"} <= set(ds.column_names)
    assert "builtin:train/deepscaler_subset_aime_math.jsonl" in packaged_files()


TINY_MATH = "builtin:openrs.data.tiny_math.generate_tiny_math"


def test_builtin_generator_is_seeded():
    first = load_rows(TINY_MATH, "train", 16, seed=1)
    assert len(first) == 16
    assert first["problem"] == load_rows(TINY_MATH, "train", 16, seed=1)["problem"]
    assert first["problem"] != load_rows(TINY_MATH, "train", 16, seed=2)["problem"]


def test_builtin_generator_is_any_dotted_path():
    """A generator outside data/ (the micro reproduction's task) is named by its dotted path alone."""
    ds = load_rows("builtin:openrs.micro_repro.task.generate_micro_arith", "train", 8, seed=0)
    assert len(ds) == 8 and all(p.endswith("=") for p in ds["problem"])


@pytest.mark.parametrize(
    "path, reason",
    [
        ("builtin:nope", "not a dotted path"),
        ("builtin:tiny_math", "not a dotted path"),
        ("builtin:openrs.data.nope.generate", "cannot import 'openrs.data.nope'"),
        ("builtin:openrs.data.tiny_math.generate_nope", "has no function 'generate_nope'"),
        ("builtin:openrs.data.tiny_math.random", "has no function 'random'"),
        ("builtin:os.getcwd", r"must take \(count, seed\)"),
        ("builtin:train/missing.jsonl", "no such packaged file"),
        ("builtin:SOURCES.md", "cannot import 'SOURCES'"),
    ],
)
def test_unknown_builtin_says_why_and_names_the_known_ones(path, reason):
    with pytest.raises(ConfigError, match=f"({reason}).*tiny_math.*deepscaler_subset_aime_math"):
        check_builtin(path)


@pytest.mark.parametrize("fmt", ["jsonl", "json", "parquet"])
def test_local_file_formats_load_the_same_rows(tmp_path, fmt):
    import datasets

    rows = arithmetic_rows(5)
    path = tmp_path / f"train.{fmt}"
    if fmt == "jsonl":
        write_jsonl(path, rows)
    elif fmt == "json":
        path.write_text(json.dumps(rows))
    else:
        datasets.Dataset.from_list(rows).to_parquet(str(path))
    assert load_rows(str(path), "train", 0, 0).to_list() == rows


def test_local_folder_concatenates_its_files(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", arithmetic_rows(3))
    write_jsonl(tmp_path / "b.jsonl", arithmetic_rows(4, start=3))
    assert len(load_rows(str(tmp_path), "train", 0, 0)) == 7


def test_missing_file_and_mixed_folder_are_config_errors(tmp_path):
    import datasets

    with pytest.raises(ConfigError, match="not found"):
        load_rows(str(tmp_path / "missing.jsonl"), "train", 0, 0)
    write_jsonl(tmp_path / "a.jsonl", arithmetic_rows(1))
    datasets.Dataset.from_list(arithmetic_rows(1)).to_parquet(str(tmp_path / "b.parquet"))
    with pytest.raises(ConfigError, match="one such kind"):
        load_rows(str(tmp_path), "train", 0, 0)
