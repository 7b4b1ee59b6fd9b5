"""MATH-style answers against gold answers: a table of (answer, gold, expected accuracy)."""

from __future__ import annotations

import pytest

from openrs.rewards import accuracy_reward, answers

# (what the model boxed, gold answer, expected reward). The completion wraps the first column as
# "... so the answer is $\boxed{<answer>}$." unless the entry already holds a full completion (FULL).
FULL = "FULL:"

CASES: list[tuple[str, str, float]] = [
    # integers, signs, thousands separators
    ("5", "5", 1.0),
    ("-3", "-3", 1.0),
    ("3", "-3", 0.0),
    ("-3", "3", 0.0),
    ("0", "0", 1.0),
    ("42", "24", 0.0),
    ("1000", "1,000", 1.0),
    ("1,000", "1000", 1.0),
    ("1{,}000", "1000", 1.0),
    ("10,000", "10000", 1.0),
    ("1,\\!000", "1000", 1.0),
    ("1000000", "1,000,000", 1.0),
    ("1001", "1,000", 0.0),
    ("+7", "7", 1.0),
    ("007", "7", 1.0),
    ("7.0", "7", 1.0),
    ("7.5", "7", 0.0),
    # fractions and decimals
    ("\\frac{1}{2}", "\\frac{1}{2}", 1.0),
    ("\\dfrac{1}{2}", "\\frac{1}{2}", 1.0),
    ("\\frac{1}{2}", "\\dfrac{1}{2}", 1.0),
    ("\\tfrac{1}{2}", "\\frac12", 1.0),
    ("\\frac12", "\\frac{1}{2}", 1.0),
    ("\\frac 12", "\\frac{1}{2}", 1.0),
    ("1/2", "\\frac{1}{2}", 1.0),
    ("0.5", "\\frac{1}{2}", 1.0),
    ("\\frac{1}{2}", "0.5", 1.0),
    ("\\frac{2}{4}", "\\frac{1}{2}", 1.0),
    ("\\frac{3}{4}", "0.75", 1.0),
    ("0.7", "\\frac{3}{4}", 0.0),
    ("\\frac{1}{3}", "\\frac{1}{2}", 0.0),
    ("0.333", "\\frac{1}{3}", 0.0),
    ("-\\frac{1}{2}", "\\frac{-1}{2}", 1.0),
    ("\\frac{-1}{2}", "-\\frac{1}{2}", 1.0),
    ("-\\frac{1}{2}", "\\frac{1}{2}", 0.0),
    ("\\frac{9}{19}", "\\frac9{19}", 1.0),
    ("\\frac{270}{7}", "\\frac{270}7\\text{ degrees}", 1.0),
    ("\\frac{7}{2}", "3.5", 1.0),
    ("0.125", "\\frac{1}{8}", 1.0),
    ("\\frac{1}{8}", "0.12", 0.0),
    ("2.50", "2.5", 1.0),
    (".5", "\\frac12", 1.0),
    ("\\frac{100}{3}", "33\\frac{1}{3}", 1.0),
    ("\\frac{4}{2}", "2", 1.0),
    ("2", "\\frac{4}{2}", 1.0),
    ("0.150", "0.15", 1.0),
    ("\\frac{3}{20}", "0.15", 1.0),
    ("3/20", "0.15", 1.0),
    ("-0.5", "-\\frac12", 1.0),
    ("1/4", "\\frac{1}{3}", 0.0),
    ("0.25", "\\frac{1}{3}", 0.0),
    ("\\frac{1}{0}", "1", 0.0),
    # radicals, pi, logs, trig
    ("2\\sqrt{2}", "\\sqrt{8}", 1.0),
    ("\\sqrt{8}", "2\\sqrt2", 1.0),
    ("11\\sqrt{2}", "11\\sqrt2", 1.0),
    ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", 1.0),
    ("\\sqrt{3}", "3^{1/2}", 1.0),
    ("\\sqrt{2}", "\\sqrt{3}", 0.0),
    ("1.414", "\\sqrt{2}", 0.0),
    ("\\frac{\\pi}{2}", "\\frac{1}{2}\\pi", 1.0),
    ("2\\pi", "6.28", 0.0),
    ("3.14", "\\pi", 0.0),
    ("4\\pi", "4 \\pi", 1.0),
    ("\\pi r^2", "\\pi r^{2}", 1.0),
    ("\\log_2 8", "3", 1.0),
    ("\\cos\\frac{\\pi}{3}", "\\frac12", 1.0),
    ("2^{10}", "1024", 1.0),
    ("2^{10}", "1000", 0.0),
    ("\\sqrt[3]{27}", "3", 1.0),
    ("5\\sqrt{5}", "\\sqrt{125}", 1.0),
    ("3+2\\sqrt{2}", "2\\sqrt{2}+3", 1.0),
    ("3-2\\sqrt{2}", "3+2\\sqrt{2}", 0.0),
    # intervals
    ("[1,2)", "[1,2)", 1.0),
    ("(1,2)", "[1,2]", 0.0),
    ("[1,2]", "[1,2]", 1.0),
    ("(-\\infty, 3]", "(-\\infty,3]", 1.0),
    ("(-\\infty, 3)", "(-\\infty,3]", 0.0),
    ("(-\\infty,0)\\cup(1,\\infty)", "(-\\infty, 0) \\cup (1, \\infty)", 1.0),
    ("(1,\\infty)\\cup(-\\infty,0)", "(-\\infty, 0) \\cup (1, \\infty)", 1.0),
    ("(-\\infty,0]\\cup(1,\\infty)", "(-\\infty, 0) \\cup (1, \\infty)", 0.0),
    ("\\left[ -2, 5 \\right]", "[-2,5]", 1.0),
    ("[0,\\infty)", "[0, \\infty)", 1.0),
    ("(0,\\infty)", "[0, \\infty)", 0.0),
    # sets, lists of solutions, ordered pairs
    ("\\{1,2,3\\}", "\\{3,2,1\\}", 1.0),
    ("\\{1,2\\}", "\\{1,2,3\\}", 0.0),
    ("2, -3", "-3, 2", 1.0),
    ("-3, 2", "2,-3", 1.0),
    ("1, 2, 3", "3, 2, 1", 1.0),
    ("1, 2", "1, 2, 3", 0.0),
    ("-2, 2", "2, -2", 1.0),
    ("(1, 2)", "(1,2)", 1.0),
    ("(2, 1)", "(1,2)", 0.0),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "\\left( 3, \\frac{\\pi}{2} \\right)", 1.0),
    ("(3, \\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)", 1.0),
    ("(3, \\pi)", "\\left( 3, \\frac{\\pi}{2} \\right)", 0.0),
    ("(1, -2, 3)", "(1,-2,3)", 1.0),
    ("(1, 2, -3)", "(1,-2,3)", 0.0),
    ("\\{-1, 1\\}", "-1, 1", 1.0),
    # degrees
    ("30^\\circ", "30", 1.0),
    ("30^{\\circ}", "30^\\circ", 1.0),
    ("30", "30^\\circ", 1.0),
    ("45\\text{ degrees}", "45", 1.0),
    ("60^\\circ", "30^\\circ", 0.0),
    ("120^\\circ", "120", 1.0),
    ("90", "90^\\circ", 1.0),
    # percentages
    ("50\\%", "50", 1.0),
    ("50", "50\\%", 1.0),
    ("25\\%", "25\\%", 1.0),
    # math-verify 0.9 equates a percentage with the number before its sign for integers only (9% == 9):
    # 12.5\% is 0.125, and 0.2 equals 20\%.
    ("12.5\\%", "12.5", 0.0),
    ("12.5\\%", "0.125", 1.0),
    ("0.2", "20\\%", 1.0),
    ("40\\%", "50\\%", 0.0),
    # units in \text{}
    ("5\\text{ cm}", "5", 1.0),
    ("5", "5\\text{ cm}", 1.0),
    ("12 \\text{ inches}", "12", 1.0),
    ("3\\text{ hours}", "3", 1.0),
    ("\\$5", "5", 1.0),
    ("\\$18.90", "18.90", 1.0),
    ("5\\text{ dollars}", "5", 1.0),
    ("20\\text{ meters}", "20", 1.0),
    ("7\\text{ cm}", "5\\text{ cm}", 0.0),
    ("100\\text{ square feet}", "100", 1.0),
    ("6\\text{ units}^2", "6", 1.0),
    # multiple choice letters
    ("A", "A", 1.0),
    ("B", "A", 0.0),
    ("\\text{(A)}", "A", 1.0),
    ("(C)", "C", 1.0),
    ("\\text{(C)}", "\\text{(C)}", 1.0),
    ("\\text{(D)}", "\\text{(C)}", 0.0),
    ("\\textbf{(E)}", "E", 1.0),
    ("E", "D", 0.0),
    # text answers
    ("\\text{Monday}", "\\text{Monday}", 1.0),
    ("\\text{Tuesday}", "\\text{Monday}", 0.0),
    ("\\text{even}", "\\text{even}", 1.0),
    ("\\text{odd}", "\\text{even}", 0.0),
    # matrices and vectors
    (
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
        1.0,
    ),
    (
        "\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}",
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
        1.0,
    ),
    (
        "\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}",
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
        0.0,
    ),
    ("\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}", "\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}", 1.0),
    ("\\begin{pmatrix} -1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}", 0.0),
    (
        "\\begin{pmatrix} \\frac{1}{2} \\\\ 0 \\end{pmatrix}",
        "\\begin{pmatrix} 1/2 \\\\ 0 \\end{pmatrix}",
        1.0,
    ),
    (
        "\\begin{pmatrix} 0.5 & 0 \\\\ 0 & 1 \\end{pmatrix}",
        "\\begin{pmatrix} \\frac12 & 0 \\\\ 0 & 1 \\end{pmatrix}",
        1.0,
    ),
    # expressions with variables
    ("x^2+2x+1", "(x+1)^2", 1.0),
    ("(x+1)^2", "x^2+2x+1", 1.0),
    ("x^2+2x", "(x+1)^2", 0.0),
    ("2x", "x+x", 1.0),
    ("x^2", "y^2", 0.0),
    ("\\frac{x}{2}", "0.5x", 1.0),
    ("a+b", "b+a", 1.0),
    ("p - q", "p - q", 1.0),
    ("-q+p", "p - q", 1.0),
    ("q - p", "p - q", 0.0),
    ("(x-1)(x+2)", "x^2+x-2", 1.0),
    ("(x-1)(x-2)", "x^2+x-2", 0.0),
    ("\\frac{1}{x}", "x^{-1}", 1.0),
    ("2n+1", "1+2n", 1.0),
    ("3k", "3n", 0.0),
    ("6x^3y^2", "6x^{3}y^{2}", 1.0),
    # equations and assignments
    ("x=3", "3", 1.0),
    ("3", "x=3", 1.0),
    ("x = 3", "x=3", 1.0),
    ("x=4", "3", 0.0),
    ("k=5", "5", 1.0),
    ("y=2x+1", "y=1+2x", 1.0),
    ("y=2x+1", "y=2x-1", 0.0),
    ("y = -\\frac{1}{2}x + 3", "y=-\\frac12 x+3", 1.0),
    ("x=2", "x=-2", 0.0),
    # inequalities
    ("x>3", "x > 3", 1.0),
    ("x \\ge 3", "x > 3", 0.0),
    ("x<3", "3>x", 1.0),
    ("x \\leq -1", "x\\le -1", 1.0),
    # scientific notation
    ("1.5\\times10^{3}", "1500", 1.0),
    ("1500", "1.5\\times 10^3", 1.0),
    ("3\\times10^{-2}", "0.03", 1.0),
    ("2.5 \\cdot 10^4", "25000", 1.0),
    ("2.5\\times10^{5}", "25000", 0.0),
    ("6.02\\times10^{23}", "6.02 \\times 10^{23}", 1.0),
    ("10^6", "1,000,000", 1.0),
    # complex numbers
    ("3+4i", "4i+3", 1.0),
    ("3-4i", "3+4i", 0.0),
    ("-i", "-i", 1.0),
    ("1+i", "1-i", 0.0),
    # bases and infinity
    ("1011_2", "1011_2", 1.0),
    ("\\infty", "\\infty", 1.0),
    ("-\\infty", "\\infty", 0.0),
    # where the answer is in the completion
    (FULL + "First I got $\\boxed{4}$, but recheck: the answer is $\\boxed{5}$.", "5", 1.0),
    (FULL + "First I got $\\boxed{5}$, but recheck: the answer is $\\boxed{4}$.", "5", 0.0),
    (
        FULL + "<think>\nsome work\n</think>\n<answer>\nThe answer is $\\boxed{\\frac{3}{4}}$\n</answer>",
        "0.75",
        1.0,
    ),
    (FULL + "The answer is 5.", "5", 0.0),
    (FULL + "The answer is $5$.", "5", 0.0),
    (FULL + "\\boxed{}", "5", 0.0),
    (FULL + "", "5", 0.0),
    (FULL + "\\boxed{5", "5", 0.0),
    (FULL + "\\boxed{\\frac{1}{2}", "\\frac12", 0.0),
    (FULL + "\\boxed 5", "5", 1.0),
    (FULL + "\\fbox{5}", "5", 1.0),
    (FULL + "So $x = \\boxed{7}$ works.", "7", 1.0),
    (FULL + "答案是 $\\boxed{12}$。", "12", 1.0),
    (FULL + "Ответ: $\\boxed{-2}$ ✅", "-2", 1.0),
    (FULL + "Ответ: $\\boxed{-2}$ ✅", "2", 0.0),
    (FULL + "\\boxed{\\boxed{8}}", "8", 1.0),
    (FULL + "\\boxed{\\{1, 2\\}}", "\\{1,2\\}", 1.0),
]


def _math_verify_alone(gold: str, boxed: str) -> float:
    """math-verify's own verdict, without openrs's plain-number shortcut."""
    from math_verify import verify

    gold_parsed = answers.parse_gold(gold)
    answer_parsed = answers._parse("\\boxed{" + boxed + "}", answers._configs()[0])
    return float(verify(list(gold_parsed), answer_parsed, timeout_seconds=None))


def _completion(answer: str) -> str:
    if answer.startswith(FULL):
        return answer[len(FULL) :]
    return f"We compute step by step. So the answer is $\\boxed{{{answer}}}$."


def test_table_has_at_least_150_cases_with_negatives() -> None:
    assert len(CASES) >= 150
    assert sum(expected == 0.0 for _, _, expected in CASES) >= 40


@pytest.mark.parametrize(("answer", "gold", "expected"), CASES)
def test_accuracy_on_math_answers(answer: str, gold: str, expected: float) -> None:
    completion = [{"role": "assistant", "content": _completion(answer)}]
    assert accuracy_reward([completion], [gold], num_workers=0) == [expected]


def test_table_scores_the_same_through_the_worker_pool() -> None:
    completions = [_completion(a) for a, _, _ in CASES]
    golds = [g for _, g, _ in CASES]
    assert accuracy_reward(completions, golds, num_workers=2) == [e for _, _, e in CASES]


SHORTCUT_CASES = [
    c for c in CASES if not c[0].startswith(FULL) and answers.quick_verdict(c[1], c[0]) is not None
]


@pytest.mark.parametrize(("answer", "gold", "expected"), SHORTCUT_CASES)
def test_plain_number_shortcut_agrees_with_math_verify(answer: str, gold: str, expected: float) -> None:
    assert float(answers.quick_verdict(gold, answer)) == _math_verify_alone(gold, answer) == expected
