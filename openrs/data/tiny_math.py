"""Built-in arithmetic problems with verifiable answers, generated deterministically from a seed."""

from __future__ import annotations

import random


def generate_tiny_math(num_rows: int, seed: int) -> list[dict[str, str]]:
    """Rows of {problem, answer}: small additions, subtractions and products."""
    rng = random.Random(seed)
    rows = []
    for _ in range(num_rows):
        a, b = rng.randint(0, 99), rng.randint(0, 99)
        op = rng.choice(["+", "-", "*"])
        value = {"+": a + b, "-": a - b, "*": a * b}[op]
        rows.append({"problem": f"What is {a} {op} {b}?", "answer": str(value)})
    return rows
