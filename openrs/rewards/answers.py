"""Math-verify answer checking: the final \\boxed{} answer of a completion against a gold answer."""

from __future__ import annotations

import enum
import functools
import logging
import re
from fractions import Fraction
from typing import Any

logger = logging.getLogger(__name__)


class _KnownNotices(logging.Filter):
    """Drop two warnings that say nothing new: the timeouts are ours (see pool.py), and Open RS's
    normalisation sets `equations=True`, which latex2sympy2_extended warns about on every parse."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not message.startswith("Timeout is disabled") and "equations=True" not in message


for _name in ("math_verify.parser", "math_verify.grader", "latex2sympy2_extended.math_normalization"):
    logging.getLogger(_name).addFilter(_KnownNotices())

# Answers longer than this are not worth a sympy parse: no MATH-style answer is near it.
MAX_ANSWER_CHARS = 1_000
_BOXED = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_TOKEN = re.compile(r"[^\s$]+")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)")
_FRACTION = re.compile(
    r"(?P<sign>[+-]?)\\frac(?:\{(?P<num>[0-9]+)\}|(?P<n1>[0-9]))(?:\{(?P<den>[0-9]+)\}|(?P<d1>[0-9]))"
)
_SLASH = re.compile(r"(?P<sign>[+-]?)(?P<num>[0-9]+)(?P<n1>)/(?P<den>[0-9]+)(?P<d1>)")
_SPACES = re.compile(r"\s+")
MAX_BOXED_CANDIDATES = 16


class Verdict(enum.IntEnum):
    """The outcome of checking one completion against its gold answer."""

    WRONG = 0
    CORRECT = 1
    GOLD_UNPARSEABLE = 2
    TIMEOUT = 3


def _braced(text: str, start: int, limit: int) -> str | None:
    """The content of the `{...}` group opening at `text[start]`, or None if it does not close within `limit`."""
    depth = 0
    end = min(len(text), start + limit + 2)
    i = start
    while i < end:
        ch = text[i]
        if ch == "\\":
            i += 2  # an escaped brace \{ or \} does not nest
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
        i += 1
    return None


def extract_boxed_answer(text: str | None) -> str | None:
    """The content of the last complete `\\boxed{...}` (or `\\fbox{...}`) in `text`, or None."""
    if not text or not isinstance(text, str):
        return None
    # Only the last few candidates, each scanned at most MAX_ANSWER_CHARS: linear time on any input.
    starts = [m.end() for m in _BOXED.finditer(text)][-MAX_BOXED_CANDIDATES:]
    for i in reversed(starts):
        j = i
        while j < len(text) and text[j] == " ":
            j += 1
        if j < len(text) and text[j] == "{":
            content = _braced(text, j, MAX_ANSWER_CHARS)
        else:  # `\boxed 5`: the answer is the next token
            token = _TOKEN.match(text, j) if j > i else None
            content = token.group(0) if token else None
        if content is not None and content.strip():
            return content.strip()
    return None


@functools.cache
def _configs() -> tuple[list[Any], list[Any]]:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig

    from openrs.rewards.parsing_speedups import install

    install()
    # The model must box its answer; NormalizationConfig's defaults accept valid TeX such as `\frac43`,
    # which open-r1's nits=False / malformed_operators=False wrongly scored 0.
    answer_config = [LatexExtractionConfig(boxed_match_priority=0, try_extract_without_anchor=False)]
    gold_config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    return answer_config, gold_config


def _parse(text: str, config: list[Any]) -> list[Any]:
    from math_verify import parse

    # Timeouts are ours (see pool.py): math-verify's signal-based ones break off the main thread.
    return parse(text, extraction_config=config, extraction_mode="first_match", parsing_timeout=None)


@functools.lru_cache(maxsize=4096)
def parse_gold(gold: str) -> tuple[Any, ...]:
    """Parse a gold answer (raw LaTeX like `\\frac{1}{2}`, or already `\\boxed{}`) once; empty if unparseable."""
    if not gold or not gold.strip():
        return ()
    text = gold if _BOXED.search(gold) else "\\boxed{" + gold.strip().strip("$") + "}"
    return tuple(_parse(text, _configs()[1]))


def exact_number(text: str) -> Fraction | None:
    """The value of a plain integer, decimal or fraction (`-3`, `0.25`, `\\frac{3}{4}`, `\\dfrac34`, `3/4`), else None."""
    if len(text) > 64:
        return None
    text = text.strip()
    if "frac" in text:  # `\\frac 59` is 5/9; elsewhere a space may separate two numbers
        text = _SPACES.sub("", text).replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    if _INTEGER.fullmatch(text) or _DECIMAL.fullmatch(text):
        return Fraction(text)
    match = _FRACTION.fullmatch(text) or _SLASH.fullmatch(text)
    if match is None:
        return None
    parts = match.groupdict()
    numerator, denominator = int(parts["num"] or parts["n1"]), int(parts["den"] or parts["d1"])
    if denominator == 0:
        return None
    return Fraction(numerator, denominator) * (-1 if parts["sign"] == "-" else 1)


def quick_verdict(gold: str, boxed: str | None) -> Verdict | None:
    """The verdict without sympy where plain numbers decide it, else None (math-verify decides)."""
    gold_value = exact_number(gold.strip())
    if gold_value is None:
        return None
    if boxed is None:
        return Verdict.WRONG
    answer_value = exact_number(boxed)
    if answer_value is None:
        return None
    if answer_value == gold_value:
        return Verdict.CORRECT
    # Two different integers are different; other numbers go to math-verify, which rounds before comparing.
    both_integers = _INTEGER.fullmatch(gold.strip()) and _INTEGER.fullmatch(boxed)
    return Verdict.WRONG if both_integers else None


def check_boxed(gold: str, boxed: str | None) -> Verdict:
    """Whether a boxed answer's content equals the gold answer, by math-verify (unbounded in time)."""
    from math_verify import verify

    quick = quick_verdict(gold, boxed)
    if quick is not None:
        return quick
    gold_parsed = parse_gold(gold)
    if not gold_parsed:
        return Verdict.GOLD_UNPARSEABLE
    if boxed is None or len(boxed) > MAX_ANSWER_CHARS:
        return Verdict.WRONG
    answer_parsed = _parse("\\boxed{" + boxed + "}", _configs()[0])
    if not answer_parsed:
        return Verdict.WRONG
    ok = verify(list(gold_parsed), answer_parsed, timeout_seconds=None)
    return Verdict.CORRECT if ok else Verdict.WRONG
