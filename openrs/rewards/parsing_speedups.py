"""Faster LaTeX parsing for math-verify, with the same results: two-stage antlr prediction, plain integers without sympify.

math-verify parses LaTeX with latex2sympy2_extended, whose antlr parser predicts with full LL context, and
turns every number token into sympy with `sympy.Number(text)`, which runs sympy's expression parser. On
MATH answers these two are most of the time a check takes (see bench/rewards_results.md). Two changes,
neither of which changes a result:

- Two-stage parsing, the antlr runtime's documented recipe: parse in SLL prediction mode first; an SLL
  parse that succeeds is the one LL would give (antlr's PredictionMode docs), and only an input that SLL
  reports as a syntax error is parsed again with full LL. SLL decisions are cached in antlr's DFA, so a
  warm parser rarely re-runs the ATN; full-context decisions are not cached and were re-run every time.
- A run of ASCII digits becomes `sympy.Integer` directly, which is what `sympy.Number` gives for it.

`install()` patches latex2sympy2_extended (1.11.0, pinned by math-verify 0.9.0) in this process, once;
openrs calls it before its first parse. tests/unit/rewards/test_parsing_speedups.py checks that 1,272
answers parse to the same values with and without it.

`install()` also mends a fault that does change results: latex2sympy2_extended 1.11 ships parsers for
antlr 4.9.3, 4.11 and 4.13.2 and loads the one matching the installed runtime (Hydra pins 4.9.3), but only
the 4.13.2 grammar has a `FUNC_GAMMA` atom, and `convert_atom` asks every atom for `FUNC_GAMMA()` before
`PERCENT_NUMBER()`. On the older parsers every percentage (`20\\%`) raised AttributeError, which
math-verify swallows, keeping only the text. Their atoms get a `FUNC_GAMMA()` that finds nothing (in
their grammar an atom has no such child), so `20\\%` parses to 20/100 as it does on antlr 4.13.2.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

logger = logging.getLogger(__name__)
_DIGITS = re.compile(r"[0-9]+")


def mend_percent_parsing() -> bool:
    """Give the loaded parser's atoms the `FUNC_GAMMA()` convert_atom asks for; True if it was missing."""
    from latex2sympy2_extended.antlr_parser import PSParser

    atom = PSParser.AtomContext
    if hasattr(atom, "FUNC_GAMMA"):
        return False
    atom.FUNC_GAMMA = _no_gamma_child
    logger.debug("latex2sympy2_extended: %s atoms answer FUNC_GAMMA() with None", PSParser.__module__)
    return True


def _no_gamma_child(self: Any) -> None:
    """An atom of a grammar without a FUNC_GAMMA alternative has no such child."""
    return None


@functools.cache
def install() -> None:
    """Mend percentage parsing, patch the parser factory and number conversion in this process (idempotent)."""
    mend_percent_parsing()
    import sympy
    from antlr4.atn.PredictionMode import PredictionMode
    from latex2sympy2_extended.latex2sympy2 import _Latex2Sympy

    if not all(hasattr(_Latex2Sympy, name) for name in ("create_parser", "parse_number")):
        logger.warning(
            "latex2sympy2_extended has changed: answer checks run without openrs's parsing speed-ups"
        )
        return
    ll_parser = _Latex2Sympy.create_parser
    number_parser = _Latex2Sympy.parse_number

    def create_parser(self: _Latex2Sympy, latex_str: str) -> Any:
        parser = ll_parser(self, latex_str)
        parser._interp.predictionMode = PredictionMode.SLL
        sll_math = parser.math

        def math() -> Any:
            try:
                return sll_math()
            except Exception:  # a syntax error under SLL: full LL decides whether the input parses
                return ll_parser(self, latex_str).math()

        parser.math = math
        return parser

    create_parser.__wrapped__ = ll_parser  # type: ignore[attr-defined]

    def parse_number(self: _Latex2Sympy, text: str) -> Any:
        digits = text.replace(",", "")
        if _DIGITS.fullmatch(digits):
            return sympy.Integer(int(digits))
        return number_parser(self, text)

    _Latex2Sympy.create_parser = create_parser
    _Latex2Sympy.parse_number = parse_number
    logger.debug("latex2sympy2_extended: two-stage SLL/LL parsing and direct integer conversion installed")
