"""pass@k, maj@k and standard errors against values computed by hand."""

from __future__ import annotations

import itertools
import math

import pytest

from openrs.evaluate.metrics import (
    Sample,
    average_over_benchmarks,
    benchmark_metrics,
    majority_correct,
    mean_and_stderr,
    pass_at_k,
)


@pytest.mark.parametrize(
    "n, c, k, expected",
    [
        (1, 0, 1, 0.0),
        (1, 1, 1, 1.0),
        (4, 1, 1, 1 / 4),
        (4, 1, 2, 1 - 3 / 6),  # 1 - C(3,2)/C(4,2)
        (4, 2, 2, 1 - 1 / 6),  # 1 - C(2,2)/C(4,2)
        (4, 3, 2, 1.0),  # fewer wrong samples than k: every pair holds a correct one
        (5, 2, 3, 1 - 1 / 10),  # 1 - C(3,3)/C(5,3)
        (10, 3, 5, 1 - 21 / 252),  # 1 - C(7,5)/C(10,5)
        (16, 0, 16, 0.0),
        (16, 1, 16, 1.0),
    ],
)
def test_pass_at_k_hand_computed(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)


@pytest.mark.parametrize("n, c, k", [(6, 2, 3), (7, 1, 4), (8, 5, 2)])
def test_pass_at_k_is_the_share_of_k_subsets_with_a_correct_sample(n, c, k):
    outcomes = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(outcomes, k))
    assert pass_at_k(n, c, k) == pytest.approx(sum(any(s) for s in subsets) / len(subsets))


@pytest.mark.parametrize("n, c, k", [(4, 5, 1), (4, 1, 0), (4, 1, 5), (4, -1, 1)])
def test_pass_at_k_rejects_impossible_counts(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def right(answer: str = "1/2") -> Sample:
    return Sample(answer, True)


def wrong(answer: str | None) -> Sample:
    return Sample(answer, False)


@pytest.mark.parametrize(
    "samples, expected",
    [
        ([right("1/2"), right("0.5"), wrong("3")], True),  # differently written correct answers vote together
        ([wrong("3"), wrong("3"), right()], False),
        ([wrong("x + 1"), right(), wrong("x+1")], False),  # whitespace does not split a vote
        ([right(), wrong("3"), wrong("3"), right()], True),  # a tie goes to the answer seen first
        ([wrong("3"), right(), right(), wrong("3")], False),
        ([wrong(None), wrong(None), right()], True),  # unanswered samples abstain
        ([wrong(None), wrong(None)], False),
    ],
)
def test_majority_vote(samples, expected):
    assert majority_correct(samples) is expected


def test_benchmark_metrics_hand_computed():
    # Three problems, four samples each, with 0, 1 and 4 correct.
    problems = [
        [wrong("7"), wrong("7"), wrong("8"), wrong(None)],
        [wrong("7"), right(), wrong("7"), wrong("9")],
        [right(), right(), right(), right()],
    ]
    m = benchmark_metrics(problems, ks=[1, 2, 4])
    assert (m["problems"], m["samples_per_problem"]) == (3, 4)
    assert m["pass@1"] == pytest.approx(100 * (0 + 0.25 + 1) / 3)
    per_problem = [0.0, 0.25, 1.0]
    mean = sum(per_problem) / 3
    stdev = math.sqrt(sum((p - mean) ** 2 for p in per_problem) / 2)
    assert m["pass@1_stderr"] == pytest.approx(100 * stdev / math.sqrt(3))
    assert m["pass@2"] == pytest.approx(100 * (0 + 0.5 + 1) / 3)
    assert m["pass@4"] == pytest.approx(100 * 2 / 3)
    # maj@2 votes over the first two samples: problem 2's tie goes to "7" (seen first).
    assert m["maj@2"] == pytest.approx(100 / 3)
    assert m["maj@4"] == pytest.approx(100 / 3)  # "7" twice beats one correct
    assert m["no_answer_pct"] == pytest.approx(100 / 12)
    assert "maj@1" not in m


def test_metrics_skip_k_above_the_number_of_samples():
    m = benchmark_metrics([[right()], [wrong("2")]], ks=[1, 4])
    assert m["pass@1"] == pytest.approx(50.0)
    assert "pass@4" not in m and "maj@4" not in m


def test_metrics_need_equal_sample_counts():
    with pytest.raises(ValueError):
        benchmark_metrics([[right()], [right(), right()]], ks=[1])
    with pytest.raises(ValueError):
        benchmark_metrics([], ks=[1])


def test_one_problem_has_no_standard_error():
    assert mean_and_stderr([1.0]) == (1.0, None)
    assert mean_and_stderr([0.0, 1.0]) == pytest.approx((0.5, 0.5))


def test_average_over_benchmarks_combines_standard_errors():
    per_benchmark = {
        "aime24": {"pass@1": 30.0, "pass@1_stderr": 8.0, "pass@2": 40.0, "pass@2_stderr": 6.0},
        "math500": {"pass@1": 80.0, "pass@1_stderr": 2.0},
    }
    average = average_over_benchmarks(per_benchmark)
    assert average["pass@1"] == pytest.approx(55.0)
    assert average["pass@1_stderr"] == pytest.approx(math.sqrt(64 + 4) / 2)
    assert "pass@2" not in average  # not every benchmark has it
