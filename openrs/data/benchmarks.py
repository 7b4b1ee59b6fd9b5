"""The five evaluation benchmarks shipped with the package (see openrs/data/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

from openrs.errors import ConfigError
from openrs.jsonl import read_json_lines

BENCHMARK_DIR = Path(__file__).resolve().parent / "benchmarks"
# The paper's evaluation suite, in the order of its results table.
BENCHMARKS = ("aime24", "math500", "amc23", "minerva", "olympiadbench")


def benchmark_path(name: str) -> Path:
    """The packaged JSONL file of benchmark `name`."""
    if name not in BENCHMARKS:
        raise ConfigError(f"unknown benchmark '{name}'; expected one of {list(BENCHMARKS)}")
    return BENCHMARK_DIR / f"{name}.jsonl"


def load_benchmark(name: str) -> list[dict]:
    """Rows of benchmark `name`: dicts with at least `id`, `problem` and `answer` (strings)."""
    return [row for _, row in read_json_lines(benchmark_path(name))]
