"""pass@k, maj@k and pass@1 with its standard error, from per-sample verdicts."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

CORRECT_VOTE = "<correct>"


@dataclass(frozen=True)
class Sample:
    """One scored completion: its boxed answer (None when it gave none) and whether it is correct."""

    answer: str | None
    correct: bool
    num_tokens: int = 0
    truncated: bool = False
    timed_out: bool = False


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of Chen et al. (2021): 1 - C(n-c, k) / C(n, k) for c correct of n samples."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def _vote(sample: Sample) -> str | None:
    # Correct answers all equal the gold, so they vote together however they are written.
    if sample.correct:
        return CORRECT_VOTE
    return "".join(sample.answer.split()) if sample.answer else None


def majority_correct(samples: Sequence[Sample]) -> bool:
    """Whether the most frequent answer is correct; unanswered samples abstain, ties go to the first seen."""
    counts: dict[str, int] = {}
    for sample in samples:
        vote = _vote(sample)
        if vote is not None:
            counts[vote] = counts.get(vote, 0) + 1
    return bool(counts) and max(counts, key=counts.__getitem__) == CORRECT_VOTE


def mean_and_stderr(values: Sequence[float]) -> tuple[float, float | None]:
    """The mean over problems and its standard error (sample std / sqrt(N)); None for one problem."""
    mean = statistics.fmean(values)
    stderr = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None
    return mean, stderr


def benchmark_metrics(
    problems: Sequence[Sequence[Sample]], ks: Sequence[int]
) -> dict[str, float | int | None]:
    """Metrics in percent over problems, each with the same n samples in sample order.

    pass@1 is the mean over the n samples; pass@k uses the unbiased estimator; maj@k votes over the
    first k samples. Every metric comes with `<metric>_stderr` over problems.
    """
    n = len(problems[0]) if problems else 0
    if n == 0 or any(len(p) != n for p in problems):
        raise ValueError("need at least one problem, each with the same number (>= 1) of samples")
    per_metric: dict[str, list[float]] = {}
    for k in sorted({1, *ks}):
        if k <= n:
            per_metric[f"pass@{k}"] = [pass_at_k(n, sum(s.correct for s in p), k) for p in problems]
        if 1 < k <= n:
            per_metric[f"maj@{k}"] = [float(majority_correct(p[:k])) for p in problems]
    metrics: dict[str, float | int | None] = {"problems": len(problems), "samples_per_problem": n}
    for name, values in per_metric.items():
        mean, stderr = mean_and_stderr(values)
        metrics[name] = 100 * mean
        metrics[f"{name}_stderr"] = None if stderr is None else 100 * stderr
    samples = [s for p in problems for s in p]
    metrics["mean_completion_tokens"] = statistics.fmean(s.num_tokens for s in samples)
    metrics["truncated_pct"] = 100 * statistics.fmean(s.truncated for s in samples)
    metrics["no_answer_pct"] = 100 * statistics.fmean(s.answer is None for s in samples)
    metrics["check_timeouts"] = sum(s.timed_out for s in samples)
    return metrics


def average_over_benchmarks(per_benchmark: dict[str, dict]) -> dict[str, float | None]:
    """The unweighted mean over benchmarks of every pass@k / maj@k they all have, with its standard error."""
    names = [k for k in next(iter(per_benchmark.values())) if k.startswith(("pass@", "maj@"))]
    average: dict[str, float | None] = {}
    for name in names:
        if name.endswith("_stderr") or not all(name in m for m in per_benchmark.values()):
            continue
        average[name] = statistics.fmean(m[name] for m in per_benchmark.values())
        errors = [m[f"{name}_stderr"] for m in per_benchmark.values()]
        # Benchmarks are independent: the variance of a mean of B of them is the sum of variances / B^2.
        average[f"{name}_stderr"] = (
            None if None in errors else math.sqrt(sum(e * e for e in errors)) / len(errors)
        )
    return average
