"""MATH-500 reference solutions: each scores 1 against its own gold answer and 0 against another's."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

import openrs
from openrs.rewards import accuracy_reward

_PACKAGED = Path(openrs.__file__).parent / "data" / "benchmarks" / "math500.jsonl"
_SHARED = Path("/work/shared/data/eval/math500.jsonl")


def _rows() -> list[dict[str, str]]:
    path = _PACKAGED if _PACKAGED.exists() else _SHARED
    if not path.exists():
        pytest.skip("MATH-500 not found")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _same_gold(a: str, b: str) -> bool:
    """Two gold answers written alike (spacing, \\left, degrees, `x=`): not a false positive to pair."""

    def norm(s: str) -> str:
        s = re.sub(r"\\left|\\right|\\!|\\,|\\;|\s|\$|\^\\circ|\^\{\\circ\}", "", s).replace(
            "\\dfrac", "\\frac"
        )
        return re.sub(r"^[a-zA-Z]=", "", s)

    return norm(a) == norm(b)


def _derangement(n: int, seed: int = 0) -> list[int]:
    """partner[i] != i for every i: each problem follows the next one in a seeded shuffle."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    partner = [0] * n
    for k, i in enumerate(order):
        partner[i] = order[(k + 1) % n]
    return partner


def test_reference_solutions_score_one_against_their_gold() -> None:
    rows = _rows()
    rewards = accuracy_reward([r["solution"] for r in rows], [r["answer"] for r in rows], num_workers=2)
    misses = [(r["answer"], r["solution"][-120:]) for r, x in zip(rows, rewards, strict=True) if x != 1.0]
    rate = 1 - len(misses) / len(rows)
    assert rate >= 0.99, f"{rate:.2%} of {len(rows)} reference solutions verified; misses: {misses[:10]}"


def test_reference_solutions_score_zero_against_another_gold() -> None:
    rows = _rows()
    partner = _derangement(len(rows))
    pairs = [
        (r, rows[j])
        for r, j in zip(rows, partner, strict=True)
        if not _same_gold(r["answer"], rows[j]["answer"])
    ]
    rewards = accuracy_reward(
        [r["solution"] for r, _ in pairs], [o["answer"] for _, o in pairs], num_workers=2
    )
    false_positives = [
        (r["answer"], o["answer"]) for (r, o), x in zip(pairs, rewards, strict=True) if x != 0.0
    ]
    assert len(false_positives) / len(pairs) <= 0.005, f"false positives: {false_positives}"
