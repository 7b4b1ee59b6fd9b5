"""The packaged evaluation sets: loadable by name, well formed, and the files SOURCES.md describes."""

from __future__ import annotations

import hashlib
import re

import pytest

from openrs.data.benchmarks import BENCHMARK_DIR, BENCHMARKS, load_benchmark
from openrs.data.sources import PACKAGE_DATA_DIR
from openrs.errors import ConfigError

SOURCES_MD = (PACKAGE_DATA_DIR / "SOURCES.md").read_text()
# Rows of the tables in SOURCES.md: | `benchmarks/aime24.jsonl` | 30 | `<sha256>` |
DOCUMENTED = {
    path: (int(rows), sha)
    for path, rows, sha in re.findall(r"\| `([\w/]+\.jsonl)` \| (\d+) \| `([0-9a-f]{64})` \|", SOURCES_MD)
}


def test_every_benchmark_and_packaged_file_is_documented():
    shipped = {p.relative_to(PACKAGE_DATA_DIR).as_posix() for p in PACKAGE_DATA_DIR.rglob("*.jsonl")}
    assert shipped == set(DOCUMENTED)
    assert {f"benchmarks/{name}.jsonl" for name in BENCHMARKS} <= shipped


@pytest.mark.parametrize("path", sorted(DOCUMENTED))
def test_packaged_file_matches_its_documented_rows_and_sha256(path):
    rows, sha = DOCUMENTED[path]
    data = (PACKAGE_DATA_DIR / path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha
    assert data.count(b"\n") == rows


@pytest.mark.parametrize("name", BENCHMARKS)
def test_load_benchmark_gives_unique_ids_and_string_problems_and_answers(name):
    rows = load_benchmark(name)
    assert len(rows) == DOCUMENTED[f"benchmarks/{name}.jsonl"][0]
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert isinstance(row["problem"], str) and row["problem"].strip()
        assert isinstance(row["answer"], str) and row["answer"].strip()


def test_unknown_benchmark_is_a_config_error():
    with pytest.raises(ConfigError, match="aime24"):
        load_benchmark("aime25")
    assert BENCHMARK_DIR.is_dir()
