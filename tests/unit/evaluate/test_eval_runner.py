"""Scoring with either checker, what fixes a completion, and resuming a partial run."""

from __future__ import annotations

import json

import pytest

from openrs.errors import ConfigError
from openrs.evaluate import runner
from openrs.evaluate.backends import Generation
from openrs.evaluate.config import BackendConfig, EvalConfig, ProtocolConfig, SamplingConfig
from openrs.evaluate.problems import Problem, load_problems
from openrs.evaluate.targets import Target


@pytest.mark.parametrize(
    "gold, completion, verdict",
    [
        (
            "204",
            "<think>so</think> Therefore, the final answer is: $\\boxed{204}$. I hope it is correct",
            "correct",
        ),
        ("204", "first \\boxed{204}, no wait: \\boxed{205}", "wrong"),  # the last box counts
        ("\\frac{1}{2}", "The answer is \\boxed{0.5}", "correct"),
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "\\boxed{(3, \\frac{\\pi}{2})}", "correct"),
        ("27", "it is 27", "wrong"),  # no box, no answer
    ],
)
def test_the_boxed_checker_is_the_accuracy_rewards(gold, completion, verdict):
    protocol = ProtocolConfig(checker="boxed", check_workers=0)
    (row,) = runner.score([Problem("amc23", "p", "q", gold)], [Generation(completion, 9, "stop")], protocol)
    assert row["verdict"] == verdict and row["correct"] is (verdict == "correct")
    assert row["completion"] == completion and row["completion_tokens"] == 9


def test_fingerprint_ignores_what_only_adds_items():
    target = Target("m", "/models/m")
    base = ProtocolConfig()
    more = ProtocolConfig(limit=5, k=[1, 4], benchmarks=["aime24"], sampling=SamplingConfig(num_samples=4))
    hotter = ProtocolConfig(sampling=SamplingConfig(temperature=1.0))
    assert runner.protocol_fingerprint(base, target, "main") == runner.protocol_fingerprint(
        more, target, "main"
    )
    assert runner.protocol_fingerprint(base, target, "main") != runner.protocol_fingerprint(
        hotter, target, "main"
    )


def smoke_config(model_dir, **sampling) -> EvalConfig:
    protocol = ProtocolConfig(
        benchmarks=["aime24", "minerva"], limit=2, k=[1, 2], check_workers=0,
        sampling=SamplingConfig(max_new_tokens=6, **{"num_samples": 2, **sampling}),
    )  # fmt: skip
    return EvalConfig(
        model_path=str(model_dir), eval=protocol, backend=BackendConfig(batch_size=3, cpu_threads=1)
    )


def count_generated(monkeypatch) -> list[int]:
    """Record how many prompts every generate() call receives."""
    calls: list[int] = []
    build = runner.build_generator

    def spy(*args, **kwargs):
        generator = build(*args, **kwargs)
        generate = generator.generate
        generator.generate = lambda prompts, seeds: calls.append(len(prompts)) or generate(prompts, seeds)
        return generator

    monkeypatch.setattr(runner, "build_generator", spy)
    return calls


def test_resume_generates_only_what_is_missing(tiny_model_dir, tmp_path, monkeypatch):
    calls = count_generated(monkeypatch)
    cfg = smoke_config(tiny_model_dir)
    first = runner.evaluate(cfg, tmp_path)
    assert sum(calls) == 2 * 2 * 2 and first["targets"][0]["generated_now"] == 8
    completions = tmp_path / tiny_model_dir.name / "completions"
    # Interrupt by hand: aime24 keeps one finished row and a half-written one; minerva's file is lost.
    kept = (completions / "aime24.jsonl").read_text().splitlines()[0]
    (completions / "aime24.jsonl").write_text(kept + "\n" + kept[:25])
    (completions / "minerva.jsonl").unlink()
    calls.clear()
    second = runner.evaluate(cfg, tmp_path)
    assert sum(calls) == 3 + 4 and second["targets"][0]["generated_now"] == 7
    assert (completions / "aime24.jsonl").read_text().splitlines()[0] == kept  # not regenerated
    # More samples per problem later: only the new ones are generated, the old ones are reused.
    calls.clear()
    third = runner.evaluate(smoke_config(tiny_model_dir, num_samples=3), tmp_path)
    assert sum(calls) == 4 and third["targets"][0]["benchmarks"]["aime24"]["samples_per_problem"] == 3
    rows = [json.loads(line) for line in (completions / "aime24.jsonl").read_text().splitlines()]
    assert sorted((r["id"], r["sample"]) for r in rows) == sorted(
        (p.id, s) for p in load_problems("aime24", 2) for s in range(3)
    )


def test_resume_refuses_other_sampling_settings(tiny_model_dir, tmp_path):
    runner.evaluate(smoke_config(tiny_model_dir), tmp_path)
    with pytest.raises(ConfigError, match="temperature"):
        runner.evaluate(smoke_config(tiny_model_dir, temperature=1.0), tmp_path)


def test_rows_scored_by_another_checker_are_rescored(tiny_model_dir, tmp_path, monkeypatch):
    calls = count_generated(monkeypatch)
    cfg = smoke_config(tiny_model_dir)
    cfg.eval.checker = "boxed"
    runner.evaluate(cfg, tmp_path)
    cfg.eval.checker = "paper"
    calls.clear()
    runner.evaluate(cfg, tmp_path)
    assert calls == []  # nothing generated again: the stored completions are re-scored
    path = tmp_path / tiny_model_dir.name / "completions" / "minerva.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == 4 and {r["checker"] for r in rows} == {"paper"}
    solutions = {p.id: p.solution for p in load_problems("minerva", 2)}
    assert all(r["gold"] == solutions[r["id"]] for r in rows)  # the paper's Minerva gold is the solution
