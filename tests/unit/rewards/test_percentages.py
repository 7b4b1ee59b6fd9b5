"""Percentages parse in every checker on Hydra's antlr 4.9.3 pin (parsing_speedups.mend_percent_parsing).

latex2sympy2_extended 1.11's parser for antlr 4.9.3 has no FUNC_GAMMA atom, which its converter asks for
before PERCENT_NUMBER, so `20\\%` failed to parse. The expected verdicts of the paper checkers are the
originals' (open-rs 2889c47 on math-verify 0.5.2, lighteval ed08481), run by tests/golden/regenerate.py.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest

from openrs.evaluate.paper_checker import paper_check
from openrs.rewards import accuracy_reward
from openrs.rewards.answers import Verdict, check_boxed
from openrs.rewards.checks import CheckKind, check
from openrs.rewards.parsing_speedups import install, mend_percent_parsing

SOLUTION = "So the rate is $\\boxed{20\\%}$."
THINK = "Okay.\n</think>\n\nThe answer is "
# (boxed answer, open-rs's reward, lighteval's score against the MATH-style gold SOLUTION)
PAPER_CASES = [("0.2", 1.0, True), ("20\\%", 1.0, True), ("20", 0.0, False), ("0.25", 0.0, False)]


def test_the_loaded_parser_reads_a_percentage_as_a_fraction():
    from latex2sympy2_extended.antlr_parser import PSParser
    from math_verify import parse
    from sympy import Rational

    install()
    assert hasattr(PSParser.AtomContext, "FUNC_GAMMA")
    assert mend_percent_parsing() is False  # mended once, in place
    parsed = parse("$20\\%$", parsing_timeout=None)
    assert parsed and parsed[0].doit() == Rational(1, 5)


def test_hydra_pins_the_antlr_whose_parser_needed_mending():
    # If Hydra's pin moves to 4.13.2 the mending becomes a no-op; this says so rather than hiding it.
    assert version("antlr4-python3-runtime").startswith("4.9.3")


@pytest.mark.parametrize(("boxed", "open_rs", "lighteval"), PAPER_CASES)
def test_paper_checkers_read_percentages_as_the_originals_did(boxed, open_rs, lighteval):
    completion = THINK + f"\\boxed{{{boxed}}}"
    expected = Verdict.CORRECT if open_rs else Verdict.WRONG
    assert check(CheckKind.OPEN_RS, SOLUTION, completion) == expected
    assert check(CheckKind.OPEN_RS_BOXED_TRUE, SOLUTION, completion) == expected
    assert paper_check(SOLUTION, "latex", completion)[0] is lighteval


@pytest.mark.parametrize(
    ("gold", "boxed", "expected"),
    [("20\\%", "0.2", Verdict.CORRECT), ("0.2", "20\\%", Verdict.CORRECT), ("20\\%", "0.25", Verdict.WRONG)],
)
def test_the_boxed_checker_reads_percentages(gold, boxed, expected):
    assert check_boxed(gold, boxed) == expected


def test_percentages_parse_in_the_checker_processes():
    # A spawned checker process starts from unpatched libraries: the mending must happen there too.
    completions = [THINK + "\\boxed{0.2}", THINK + "\\boxed{0.3}"]
    assert accuracy_reward(completions, solution=[SOLUTION] * 2, checker="open_rs", num_workers=1) == [
        1.0,
        0.0,
    ]
    assert accuracy_reward(completions, ["20\\%"] * 2, num_workers=1) == [1.0, 0.0]
