"""The parsing speed-ups change no result: math-verify parses the same strings to the same values with and without them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openrs
from tests.unit.rewards.test_answer_table import CASES

_DATA = Path(openrs.__file__).parent / "data"

# Parse each string of stdin's JSON list as a boxed gold answer, as openrs does, and print the parses'
# reprs as a JSON list. argv[1] says whether the speed-ups are installed.
_PARSE_ALL = """
import json, sys
from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse
from openrs.rewards.parsing_speedups import install, mend_percent_parsing
mend_percent_parsing()  # a fix, not a speed-up: both sides have it, so percentages are compared too
if sys.argv[1] == "fast":
    install()
config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
parsed = [repr(parse("\\\\boxed{" + s + "}", config, extraction_mode="first_match", parsing_timeout=None))
          for s in json.load(sys.stdin)]
print(json.dumps(parsed))
"""


def _answers(path: Path, limit: int) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()[:limit]
    return [json.loads(line)["answer"] for line in lines if line.strip()]


def _parse_all(strings: list[str], mode: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", _PARSE_ALL, mode],
        input=json.dumps(strings),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(result.stdout)


def test_speedups_parse_every_answer_to_the_same_value() -> None:
    strings = _answers(_DATA / "benchmarks" / "math500.jsonl", 500)
    strings += _answers(_DATA / "train" / "deepscaler_subset_aime_math.jsonl", 400)
    strings += [s for answer, gold, _ in CASES for s in (answer, gold) if not answer.startswith("FULL:")]
    # Inputs SLL rejects: polynomials need full LL, and plain syntax errors must still fail.
    strings += [
        "x^2 + 7x + 10",
        "-29x^5(7x^6-2)",
        "3p^3 - 6p^2 - 3p + 10",
        "\\frac{",
        "1+*2",
        "((",
        "007",
        "1,000",
    ]
    plain, fast = _parse_all(strings, "plain"), _parse_all(strings, "fast")
    differing = [(s, p, f) for s, p, f in zip(strings, plain, fast, strict=True) if p != f]
    assert differing == []
    assert sum(p != "[]" for p in plain) > 0.95 * len(strings)  # the comparison is over real parses


def _parses_in_sll_mode(latex: str) -> bool:
    """Whether latex2sympy's grammar accepts `latex` with SLL prediction alone (any syntax error raises)."""
    from antlr4.atn.PredictionMode import PredictionMode
    from latex2sympy2_extended.latex2sympy2 import _Latex2Sympy

    parser = _Latex2Sympy.create_parser.__wrapped__(_Latex2Sympy(), latex)
    parser._interp.predictionMode = PredictionMode.SLL
    try:
        parser.math()
    except Exception:
        return False
    return True


def test_inputs_that_sll_rejects_fall_back_to_full_ll() -> None:
    from latex2sympy2_extended.latex2sympy2 import latex2sympy

    from openrs.rewards.parsing_speedups import install

    install()
    assert _parses_in_sll_mode("x + 10")
    assert not _parses_in_sll_mode("x^2 + 7x + 10")  # so the value below comes from the LL fallback
    assert str(latex2sympy("x^2 + 7x + 10")) == "x**2 + 7*x + 10"
    assert str(latex2sympy("3,000")) == "3000"
