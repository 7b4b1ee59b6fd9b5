"""The answer-check behaviours of math-verify 0.5.2 / latex2sympy2_extended 1.0.6, which Open RS ran, on today's.

Open RS trained (math-verify 0.5.2) and evaluated (lighteval ed08481) with latex2sympy2_extended 1.0.6;
openrs runs math-verify 0.9.0 with 1.11.0, which changed verdicts in three ways (measured against the
originals running: tests/golden/):

- Several boxes. Normalising a `\\boxed{...}` match, 1.0.6 kept the boxes before the last only when
  nothing but `,`, `and` or `or` stood between them; 1.11 also joins boxes up to 70 characters apart with
  a separator anywhere between, so "I guessed \\boxed{094}, but the answer is \\boxed{594}" reads 94.594.
- Bare units. 1.0.6's unit regex never matched (it asserted a space, then a unit name at the same place):
  only `\\text{...}` units went, so `\\boxed{5 cm}` did not parse as 5; 1.11 strips the unit.
- Percent against an integer. 0.5.2 compared `27\\%` as 27/100 (wrong against 27, right against 0.27);
  0.9's grader compares the integers before the sign (`27\\%` equals 27, `89000\\%` is not 890).

Inside `original_behaviour()` (a context manager, per thread) openrs's copies of latex2sympy2_extended and
math-verify behave as 1.0.6 and 0.5.2 did in these three; elsewhere they are unchanged. The paper presets'
checkers (open_rs.py, openrs/evaluate/paper_checker.py) run inside it; openrs's boxed checker does not.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from collections.abc import Iterator
from typing import Any

_ORIGINAL = contextvars.ContextVar("openrs_original_answer_checks", default=False)
# 1.0.6 joined a box to the one after it only across exactly one of these.
_SEPARATOR_ONLY = re.compile(r"\s*(?:and|or|,)\s*")
_EMPTY_TEXT = re.compile(r"\\text\s*\{\s*\}")


@contextlib.contextmanager
def original_behaviour() -> Iterator[None]:
    """Within this block (this thread), answer checks behave as math-verify 0.5.2 with 1.0.6 did."""
    _install()
    token = _ORIGINAL.set(True)
    try:
        yield
    finally:
        _ORIGINAL.reset(token)


def _closing_brace(text: str, opening: int, end: int) -> int | None:
    depth = 0
    for i in range(opening, end):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return None


def boxed_last_as_1_0_6(text: str) -> str:
    """The last box's content, with the boxes just before it that only `,`/`and`/`or` separate (1.0.6's "last")."""
    contents: list[str] = []
    end = len(text)  # boxes are read right to left; each must close before the box after it opens
    after: int | None = None  # where the box read last (the one to the right) opens
    while True:
        start = max(text.rfind("\\boxed", 0, end), text.rfind("\\fbox", 0, end))
        if start < 0:
            break
        brace = start + (6 if text.startswith("\\boxed", start) else 5)
        while brace < end and text[brace].isspace():
            brace += 1
        if brace >= end:
            break
        closing = _closing_brace(text, brace, end) if text[brace] == "{" else None
        if closing is None:  # unclosed, or `\boxed 5`: the rest of the text, if it is the last box
            if not contents:
                contents.append(text[brace:])
            break
        if after is not None and not _SEPARATOR_ONLY.fullmatch(text[closing + 1 : after]):
            break
        contents.append(text[brace + 1 : closing].strip())
        after = end = start
    return ",".join(reversed(contents)) if contents else text


@functools.cache
def _install() -> None:
    """Route latex2sympy2_extended's box and unit normalisation and math-verify's numeric comparison through here."""
    from latex2sympy2_extended import math_normalization
    from math_verify import grader

    extract_boxed = math_normalization.extract_boxed_content

    def extract_boxed_content(text: str, mode: str = "last") -> str:
        if mode == "last" and _ORIGINAL.get():
            return boxed_last_as_1_0_6(text)
        return extract_boxed(text, mode)

    math_normalization.extract_boxed_content = extract_boxed_content
    math_normalization.units_regex = _UnitsRegex(math_normalization.units_regex)

    numeric_eq = grader.sympy_numeric_eq

    def sympy_numeric_eq(a: Any, b: Any, *args: Any, **kwargs: Any) -> bool:
        if _ORIGINAL.get() and _percent_against_integer(grader, a, b):
            return grader.safe_sympy_doit(a) == grader.safe_sympy_doit(b)
        return numeric_eq(a, b, *args, **kwargs)

    grader.sympy_numeric_eq = sympy_numeric_eq


def _percent_against_integer(grader: Any, a: Any, b: Any) -> bool:
    """Whether 0.9's "9% == 9" rule would decide (a, b): integers, percentages of integers, at least one of each kind."""
    from sympy import Integer

    ints = [grader.is_atomic_or_pct_atomic(x, Integer) for x in (a, b)]
    percents = [grader.get_pct_val(x) is not None for x in (a, b)]
    return all(ints) and any(percents)


class _UnitsRegex:
    """latex2sympy2_extended 1.11's bare-unit regex, which under original_behaviour() removes nothing, as 1.0.6's did."""

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex

    def sub(self, replacement: str, text: str, *args: Any) -> str:
        if _ORIGINAL.get():
            return _EMPTY_TEXT.sub(" ", text)  # 1.0.6 then turned an emptied `\text{}` into a space
        return self.regex.sub(replacement, text, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.regex, name)
