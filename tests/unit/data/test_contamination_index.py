"""Contamination measures on hand-made cases: exact match after normalisation, and word n-grams."""

from __future__ import annotations

import pytest

from openrs.data.contamination import TrainingIndex, markdown_table, word_ngrams

LONG = "Let a and b be relatively prime positive integers such that the sum of a and b equals twelve"


def test_word_ngrams_ignore_case_punctuation_and_latex_markup():
    assert word_ngrams("Find $\\frac{M}{n}$, then STOP.", 3) == [
        ("find", "frac", "m"),
        ("frac", "m", "n"),
        ("m", "n", "then"),
        ("n", "then", "stop"),
    ]
    assert word_ngrams("too short", 3) == []


@pytest.mark.parametrize(
    "problem, exact, shares_ngram, near_duplicate",
    [
        (LONG, True, True, True),
        ("  " + LONG.upper().replace(" ", "\n ") + " ", True, True, True),  # case and whitespace only
        (LONG + ". Find a times b.", False, True, True),
        (
            "Compute this: " + LONG[:70] + " and some entirely different words follow here to pad it out",
            False,
            True,
            False,
        ),
        (
            "Let a and b be coprime integers; what is the sum of them when both are odd primes?",
            False,
            False,
            False,
        ),
    ],
)
def test_overlap_flags(problem, exact, shares_ngram, near_duplicate):
    index = TrainingIndex([LONG, "What is 1 + 1?"], n=8)
    result = index.overlap("bench", [{"id": "p", "problem": problem}])
    assert (result.exact, result.ngram, result.near_duplicate) == (exact, shares_ngram, near_duplicate)
    if shares_ngram:
        assert result.ngram_examples["p"] in " ".join(LONG.lower().split())


def test_markdown_table_has_one_row_per_benchmark():
    index = TrainingIndex([LONG], n=8)
    report = [
        index.overlap(name, [{"id": "1", "problem": LONG}, {"id": "2", "problem": "x"}]) for name in "ab"
    ]
    table = markdown_table(report, 8).splitlines()
    assert len(table) == 4
    assert table[2] == "| a | 2 | 1 (50.0%) | 1 (50.0%) | 1 (50.0%) |"
