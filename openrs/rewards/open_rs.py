"""The Open RS answer check, as knoveleng/open-rs `src/open_r1/rewards.py` called math-verify.

The gold is the dataset's `solution` text parsed with `extraction_mode="first_match"` and a default
`LatexExtractionConfig()`; the completion is parsed whole, first_match, with open-r1's normalisation
(nits=False, malformed_operators=False, basic_latex, equations, units) and boxed matched first
(`boxed_match_priority=0`, nothing extracted without an anchor); the reward is `verify(answer, gold)`,
the completion's parse in math-verify's *gold* position, as the original passed them. Its accuracy
reward normalised `boxed="all"`, its cosine and length rewards `boxed=True` (which latex2sympy2_extended
1.11 treats as neither "all" nor "last": a boxed match found by the plain `\\boxed{...}` pattern is still
cut to its last box by math-verify, one found inside `$...$` keeps its `\\boxed`).

Open RS ran math-verify 0.5.2 with latex2sympy2_extended 1.0.6; the check runs inside
`original_behaviour()` (original_normalization.py), which restores their handling of several boxes, bare
units and percentages. tests/unit/rewards/test_golden.py compares it with the original running.

TRL's own `trl.rewards.accuracy_reward` and `get_cosine_scaled_reward` are not this check: they parse
the gold with math-verify's default extraction, call `verify(gold, answer)`, and bound time with
math-verify's signals (main thread only), so openrs does not use them.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from openrs.rewards.answers import Verdict
from openrs.rewards.original_normalization import original_behaviour

BoxedNormalization = Literal["all", True]


@functools.cache
def _solution_config() -> list[Any]:
    from math_verify import LatexExtractionConfig

    from openrs.rewards.parsing_speedups import install

    install()
    return [LatexExtractionConfig()]


@functools.cache
def _completion_config(boxed: BoxedNormalization) -> list[Any]:
    from latex2sympy2_extended import NormalizationConfig
    from math_verify import LatexExtractionConfig

    normalization = NormalizationConfig(
        nits=False, malformed_operators=False, basic_latex=True, equations=True, boxed=boxed, units=True
    )
    return [
        LatexExtractionConfig(
            normalization_config=normalization, boxed_match_priority=0, try_extract_without_anchor=False
        )
    ]


@functools.lru_cache(maxsize=4096)
def parse_solution(solution: str) -> tuple[Any, ...]:
    """The gold parsed from a `solution` text as Open RS parsed it; empty if it does not parse."""
    from math_verify import parse

    # Timeouts are ours (see pool.py): math-verify's signal-based ones break off the main thread.
    config = _solution_config()
    return tuple(
        parse(solution, extraction_mode="first_match", extraction_config=config, parsing_timeout=None)
    )


def check_completion(solution: str, completion: str, boxed: BoxedNormalization) -> Verdict:
    """Open RS's verdict on a whole completion against a `solution` text (unbounded in time)."""
    with original_behaviour():
        return _check_completion(solution, completion, boxed)


def _check_completion(solution: str, completion: str, boxed: BoxedNormalization) -> Verdict:
    from math_verify import parse, verify

    gold = parse_solution(solution)
    if not gold:
        return Verdict.GOLD_UNPARSEABLE
    config = _completion_config(boxed)
    answer = parse(completion, extraction_config=config, extraction_mode="first_match", parsing_timeout=None)
    try:
        return Verdict.CORRECT if verify(answer, list(gold), timeout_seconds=None) else Verdict.WRONG
    except Exception:  # the original scored 0.0 when verify raised
        return Verdict.WRONG
