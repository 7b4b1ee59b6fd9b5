"""Scoring completions with the protocol's checker, and re-scoring stored ones another checker scored."""

from __future__ import annotations

import logging

from openrs.evaluate.backends import Generation
from openrs.evaluate.completions import CompletionStore
from openrs.evaluate.config import ProtocolConfig
from openrs.evaluate.paper_checker import GOLD_SOURCES, check_paper
from openrs.evaluate.problems import Problem
from openrs.rewards import Verdict, check_answers, extract_boxed_answer

log = logging.getLogger(__name__)


def _gold(problem: Problem, checker: str) -> str:
    """The gold text a checker compares with: the paper's reads MATH-500's and Minerva's `solution`."""
    if checker == "paper" and GOLD_SOURCES[problem.benchmark][0] == "solution":
        return problem.solution or ""
    return problem.answer


def check_texts(
    problems: list[Problem], texts: list[str], protocol: ProtocolConfig
) -> list[tuple[Verdict, str | None]]:
    """(verdict, extracted answer) per completion, by `protocol.checker`, each check bounded in time."""
    golds = [_gold(p, protocol.checker) for p in problems]
    if protocol.checker == "paper":
        return check_paper(
            [p.benchmark for p in problems],
            golds,
            texts,
            num_workers=protocol.check_workers,
            timeout_s=protocol.check_timeout_s,
        )
    verdicts = check_answers(
        golds, texts, num_workers=protocol.check_workers, timeout_s=protocol.check_timeout_s
    )
    return [(v, extract_boxed_answer(t)) for v, t in zip(verdicts, texts, strict=True)]


def verdict_fields(verdict: Verdict, answer: str | None, gold: str, checker: str) -> dict:
    """The scored part of a completions row."""
    return {
        "answer": answer,
        "gold": gold,
        "checker": checker,
        "verdict": verdict.name.lower(),
        "correct": verdict == Verdict.CORRECT,
    }


def score(problems: list[Problem], generations: list[Generation], protocol: ProtocolConfig) -> list[dict]:
    """Score every completion with the protocol's checker (the paper's, or the accuracy reward's)."""
    checks = check_texts(problems, [g.text for g in generations], protocol)
    return [
        {
            **verdict_fields(verdict, answer, _gold(p, protocol.checker), protocol.checker),
            "completion_tokens": g.num_tokens,
            "finish_reason": g.finish_reason,
            "completion": g.text,
        }
        for p, g, (verdict, answer) in zip(problems, generations, checks, strict=True)
    ]


def rescore_other_checkers(problems: list[Problem], store: CompletionStore, protocol: ProtocolConfig) -> None:
    """Re-score stored rows that another checker scored (rows from before checkers were named: boxed)."""
    for bench in {p.benchmark for p in problems}:
        rows = store.load(bench)
        by_id = {p.id: p for p in problems if p.benchmark == bench}
        stale = [
            r
            for r in rows.values()
            if r.get("checker", "boxed") != protocol.checker and str(r["id"]) in by_id
        ]
        if not stale:
            continue
        log.info(
            "%s: re-scoring %d completion(s) with the %s checker",
            store.path(bench),
            len(stale),
            protocol.checker,
        )
        stale_problems = [by_id[str(r["id"])] for r in stale]
        checks = check_texts(stale_problems, [r["completion"] for r in stale], protocol)
        for row, problem, (verdict, answer) in zip(stale, stale_problems, checks, strict=True):
            row.update(verdict_fields(verdict, answer, _gold(problem, protocol.checker), protocol.checker))
        store.rewrite(bench, list(rows.values()))
