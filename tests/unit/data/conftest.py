"""Fixtures for the data tests: the tiny tokenizer and small generated data files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tokenizer():
    """The offline tiny tokenizer with its ChatML template."""
    from openrs.models.tiny import build_tiny_tokenizer

    return build_tiny_tokenizer()


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    """Write `rows` as JSON Lines and return the path."""
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def arithmetic_rows(count: int, start: int = 0, problem_key: str = "problem", answer_key: str = "answer"):
    """`count` distinct problems `What is i + 1?` with their answers, under the given column names."""
    return [{problem_key: f"What is {i} + 1?", answer_key: str(i + 1)} for i in range(start, start + count)]
