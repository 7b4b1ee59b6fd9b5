"""The paper's answer check: lighteval's `extractive_match` as Open RS's `src/open_r1/evaluate.py` set it up.

Open RS scored with lighteval (commit ed08481) custom tasks, `multilingual_extractive_match_metric` with
`fallback_mode="first_match"` and `precision=5`. The gold is extracted with a default `LatexExtractionConfig`
(MATH-500, Minerva, OlympiadBench) or `ExprExtractionConfig` (AIME24, AMC23), from the `solution` column
(MATH-500, Minerva) or `answer` (the others); the whole completion, thinking included, is searched with
`ExprExtractionConfig` then `LatexExtractionConfig(boxed_match_priority=0)`, any match. A gold that does
not extract is compared as its raw string, and each side keeps its first matched string as a fallback,
so two equal strings also count. lighteval cannot be installed beside hydra-core, so this is math-verify
(the package lighteval's extraction code became), with lighteval's own `LatexExtractionConfig` defaults, run
inside `original_behaviour()` (latex2sympy2_extended 1.0.6's boxes, units and percentages, which lighteval used);
tests/unit/rewards/test_golden.py compares it with lighteval ed08481 running.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from openrs.rewards import Verdict
from openrs.rewards.original_normalization import original_behaviour

log = logging.getLogger(__name__)


class _DeprecatedEquationsNotice(logging.Filter):
    """Drop latex2sympy2's per-call notice: `equations=True` still splits `a = b = 5` as lighteval did."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("equations=True in NormalizationConfig is deprecated")


logging.getLogger("latex2sympy2_extended.math_normalization").addFilter(_DeprecatedEquationsNotice())

# benchmark: (the column the gold is read from, how it is extracted), as in open-rs's evaluate.py.
GOLD_SOURCES = {
    "aime24": ("answer", "expr"),
    "math500": ("solution", "latex"),
    "amc23": ("answer", "expr"),
    "minerva": ("solution", "latex"),
    "olympiadbench": ("answer", "latex"),
}
PRECISION = 5
# lighteval's timeout_seconds for each extraction and comparison (signal-based: main thread only).
MATH_VERIFY_TIMEOUT_S = 5
START_MARGIN_S = 120.0


@functools.cache
def extraction_configs() -> tuple[dict[str, tuple[Any, ...]], tuple[Any, ...]]:
    """The gold extraction targets by kind, and the prediction's, with lighteval ed08481's defaults."""
    from latex2sympy2_extended import NormalizationConfig
    from math_verify import ExprExtractionConfig, LatexExtractionConfig

    from openrs.rewards.parsing_speedups import install

    install()  # percentages parse on Hydra's antlr 4.9.3 too (see parsing_speedups.py)
    # lighteval's LatexExtractionConfig normalised equations and boxed the match at priority 55;
    # math-verify 0.9.0's defaults are equations=False and priority 50.
    normalization = NormalizationConfig(
        basic_latex=True, units=True, malformed_operators=True, nits=True, boxed="all", equations=True
    )
    gold = {
        "latex": (LatexExtractionConfig(boxed_match_priority=55, normalization_config=normalization),),
        "expr": (ExprExtractionConfig(),),
    }
    prediction = (
        ExprExtractionConfig(),
        LatexExtractionConfig(boxed_match_priority=0, normalization_config=normalization),
    )
    return gold, prediction


def _extract(text: str, targets: tuple[Any, ...], timeout_s: int | None) -> list[Any]:
    from math_verify import parse

    return parse(
        text,
        extraction_config=targets,
        fallback_mode="first_match",
        extraction_mode="any_match",
        parsing_timeout=timeout_s,
    )


def paper_check(gold: str, extraction: str, completion: str) -> tuple[bool, str | None, bool]:
    """(correct, the prediction's extracted string or None, whether the gold extracted) for one completion."""
    with original_behaviour():  # lighteval ed08481 normalised with latex2sympy2_extended 1.0.6
        return _paper_check(gold, extraction, completion)


def _paper_check(gold: str, extraction: str, completion: str) -> tuple[bool, str | None, bool]:
    from math_verify import verify

    # math-verify's own timeouts need the main thread; elsewhere the caller's bound is the only one.
    timeout_s = MATH_VERIFY_TIMEOUT_S if threading.current_thread() is threading.main_thread() else None
    gold_targets, prediction_targets = extraction_configs()
    golds = _extract(gold, gold_targets[extraction], timeout_s)
    gold_extracted = bool(golds)
    if not golds:
        golds = [gold]  # lighteval: "We did not manage to extract a gold", then compares the raw string
    predictions = _extract(completion, prediction_targets, timeout_s)
    answer = predictions[-1] if predictions and isinstance(predictions[-1], str) else None
    correct = bool(predictions) and verify(
        golds, predictions, float_rounding=PRECISION, timeout_seconds=timeout_s
    )
    return correct, answer, gold_extracted


def _paper_check_or_wrong(gold: str, extraction: str, completion: str) -> tuple[bool, str | None, bool]:
    try:
        return paper_check(gold, extraction, completion)
    except Exception:  # math-verify and sympy raise many kinds; none of them makes an answer right
        log.debug("paper check failed", exc_info=True)
        return False, None, True


def check_paper(
    benchmarks: Sequence[str],
    golds: Sequence[str],
    completions: Sequence[str],
    *,
    num_workers: int,
    timeout_s: float,
) -> list[tuple[Verdict, str | None]]:
    """(verdict, extracted answer) per completion, each check in the rewards' checker processes.

    A check past `timeout_s` (or whose process died) is killed and scored TIMEOUT, i.e. wrong, as
    lighteval scored a timed-out comparison; `num_workers` 0 means 1 (no check runs in this process).
    """
    from openrs.rewards.pool import get_pool

    size = max(1, num_workers)
    pool = get_pool(size)
    futures = [
        pool.schedule(_paper_check_or_wrong, (gold, GOLD_SOURCES[bench][1], completion), timeout=timeout_s)
        for bench, gold, completion in zip(benchmarks, golds, completions, strict=True)
    ]
    # Every call ends within its timeout once started; the margin covers starting the processes.
    deadline = time.monotonic() + timeout_s * (len(futures) // size + 1) + START_MARGIN_S
    checked: list[tuple[Verdict, str | None]] = []
    try:
        for future in futures:
            try:
                correct, answer, _ = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError, OSError):
                checked.append((Verdict.TIMEOUT, None))  # pebble's ProcessExpired is an OSError
                continue
            checked.append((Verdict.CORRECT if correct else Verdict.WRONG, answer))
    finally:
        for future in futures:
            future.cancel()  # after an interrupt or past the deadline: pebble kills what still runs
    timeouts = sum(v == Verdict.TIMEOUT for v, _ in checked)
    if timeouts:
        log.warning("%d answer check(s) ran past %.0f s and were scored wrong", timeouts, timeout_s)
    return checked
