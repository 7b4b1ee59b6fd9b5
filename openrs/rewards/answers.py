"""Math-verify answer checking: the final \\boxed{} answer of a completion against a gold answer."""

from __future__ import annotations

import enum
import functools
import logging
import re
from typing import Any

logger = logging.getLogger(__name__)

# Answers longer than this are not worth a sympy parse: no MATH-style answer is near it.
MAX_ANSWER_CHARS = 1_000
_BOXED = re.compile(r"\\(?:boxed|fbox)\b")


class Verdict(enum.IntEnum):
    """The outcome of checking one completion against its gold answer."""

    WRONG = 0
    CORRECT = 1
    GOLD_UNPARSEABLE = 2
    TIMEOUT = 3


def _braced(text: str, start: int) -> str | None:
    """The content of the `{...}` group opening at `text[start]`, or None if it never closes."""
    depth = 0
    i = start
    n = len(text)
    while i < n:
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
    if not text:
        return None
    for match in reversed(list(_BOXED.finditer(text))):
        i = match.end()
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == "{":
            content = _braced(text, i)
        else:  # `\boxed 5`: the answer is the next token
            token = re.match(r"[^\s$]+", text[i:])
            content = token.group(0) if token and i > match.end() else None
        if content is not None and content.strip():
            return content.strip()
    return None


@functools.cache
def _configs() -> tuple[list[Any], list[Any]]:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig

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


def check_answer(gold: str | None, completion: str | None) -> Verdict:
    """Whether the completion's final boxed answer equals the gold answer, by math-verify."""
    from math_verify import verify

    gold_parsed = parse_gold(gold or "")
    if not gold_parsed:
        return Verdict.GOLD_UNPARSEABLE
    boxed = extract_boxed_answer(completion)
    if boxed is None or len(boxed) > MAX_ANSWER_CHARS:
        return Verdict.WRONG
    answer_parsed = _parse("\\boxed{" + boxed + "}", _configs()[0])
    if not answer_parsed:
        return Verdict.WRONG
    ok = verify(list(gold_parsed), answer_parsed, timeout_seconds=None)
    return Verdict.CORRECT if ok else Verdict.WRONG
