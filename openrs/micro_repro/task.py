"""The micro reproduction's task: two-number column addition, worked in `<think>`, answered in \\boxed{}.

Digits are written without a space before them so that the tiny tokenizer keeps one token per digit.
A fixed hash of each problem puts it in the training or the held-out split, so the warm-up and GRPO
never see the problems the evaluation scores.
"""

from __future__ import annotations

import random
import zlib

NUM_DIGITS = 2
# Share of warm-up demonstrations that work the sum out; the others only estimate it (rounded to tens).
WORKED_FRACTION = 0.4
# One problem in HELD_OUT_EVERY (by a fixed hash) is held out for evaluation.
HELD_OUT_EVERY = 8


def is_held_out(a: int, b: int) -> bool:
    """Whether the problem a+b belongs to the held-out split (fixed, seed-independent)."""
    return zlib.crc32(f"{a}+{b}".encode()) % HELD_OUT_EVERY == 0


def problem_text(a: int, b: int) -> str:
    """The user's question for a+b."""
    return f"{a}+{b}="


def estimated_answer(a: int, b: int) -> str:
    """The completion after the prompt's opened `<think>` for a quick estimate: the sum rounded to tens."""
    return f"\n</think>\n<answer>\n\\boxed{{{(a + b + 5) // 10 * 10}}}\n</answer>"


def worked_solution(a: int, b: int) -> str:
    """The completion after the prompt's opened `<think>`: one line per column, then the boxed sum."""
    lines, carry = [], 0
    for da, db in zip(reversed(str(a)), reversed(str(b)), strict=True):
        column = int(da) + int(db) + carry
        lines.append(f"{da}+{db}+{carry}={column}" if carry else f"{da}+{db}={column}")
        carry = column // 10
    reasoning = "\n".join(lines)
    return f"{reasoning}\n</think>\n<answer>\n\\boxed{{{a + b}}}\n</answer>"


def _pairs(held_out: bool) -> list[tuple[int, int]]:
    low, high = 10 ** (NUM_DIGITS - 1), 10**NUM_DIGITS
    return [(a, b) for a in range(low, high) for b in range(low, high) if is_held_out(a, b) == held_out]


def _rows(pairs: list[tuple[int, int]]) -> list[dict[str, str]]:
    return [{"problem": problem_text(a, b), "answer": str(a + b)} for a, b in pairs]


def generate_micro_arith(num_rows: int, seed: int) -> list[dict[str, str]]:
    """Distinct training rows of {problem, answer} (at most the whole training split)."""
    pairs = _pairs(held_out=False)
    return _rows(random.Random(seed).sample(pairs, min(num_rows, len(pairs))))


def held_out_rows(num_rows: int, seed: int) -> list[dict[str, str]]:
    """Distinct held-out rows of {problem, answer} for evaluation."""
    pairs = _pairs(held_out=True)
    return _rows(random.Random(seed).sample(pairs, min(num_rows, len(pairs))))


def demonstrations(num_examples: int, seed: int) -> list[dict[str, str]]:
    """Training-split rows of {problem, completion} for the supervised warm-up: worked out or estimated.

    The warmed-up policy sometimes works the sum out (mostly right) and sometimes estimates it (right
    only for multiples of ten): the reward has a behaviour to favour, as in the paper's setting.
    """
    rng = random.Random(seed)
    pairs = rng.choices(_pairs(held_out=False), k=num_examples)
    return [
        {
            "problem": problem_text(a, b),
            "completion": worked_solution(a, b) if rng.random() < WORKED_FRACTION else estimated_answer(a, b),
        }
        for a, b in pairs
    ]
