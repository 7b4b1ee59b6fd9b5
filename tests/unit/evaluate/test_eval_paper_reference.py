"""The paper's per-checkpoint scores shipped with the package: complete, traceable, and Table 2's rows."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from openrs.evaluate.config import PAPER_EVAL_PROMPT
from openrs.evaluate.paper_reference import (
    MODELS,
    PER_STEP_BENCHMARKS,
    average_curve,
    experiment_of,
    extract_reference,
    load_reference,
    reference_curve,
    reference_experiments,
    table2_step,
)
from openrs.evaluate.problems import load_problems
from openrs.evaluate.report import PAPER_COLUMNS, PAPER_TABLE2

OPEN_RS_MIRROR = Path("/work/.mirror/knoveleng+open-rs/repo")


def test_every_logged_checkpoint_is_there_with_the_file_it_came_from():
    reference = load_reference()
    assert reference["source"]["repo"] == "knoveleng/open-rs" and len(reference["source"]["commit"]) == 40
    expected_steps = {"exp1": [100, 200, 300, 400, 500], "exp2": list(range(50, 401, 50))}
    expected_steps["exp3"] = expected_steps["exp2"]
    for experiment, steps in expected_steps.items():
        logged = reference["experiments"][experiment]["steps"]
        assert [int(s) for s in logged] == steps
        for step, scores in logged.items():
            assert set(PER_STEP_BENCHMARKS) <= set(scores)
            for value in scores.values():
                assert f"/Exp{experiment[-1]}_{step}/" in value["file"] and 0 <= value["pass@1"] <= 100


@pytest.mark.parametrize("experiment", list(MODELS))
def test_table2_rows_are_the_logged_scores_at_their_step(experiment):
    scores = load_reference()["experiments"][experiment]["steps"][str(table2_step(experiment))]
    row = dict(zip(PAPER_COLUMNS, PAPER_TABLE2[MODELS[experiment]], strict=True))
    for bench in PAPER_COLUMNS[:-1]:
        assert scores[bench]["pass@1"] == pytest.approx(row[bench], abs=0.05)
        assert scores[bench]["file"].startswith("logs/overall/")


def test_curves():
    assert reference_curve("exp3", "aime24")[0] == (50, pytest.approx(46.67))
    assert reference_curve("exp3", "minerva") == [(50, pytest.approx(26.84))]  # only at Table 2's step
    step, average = average_curve("exp2")[0]
    assert step == 50 and average == pytest.approx((30.0 + 85.4 + 80.0) / 3)


@pytest.mark.skipif(not OPEN_RS_MIRROR.exists(), reason="needs a clone of knoveleng/open-rs")
def test_the_shipped_file_is_what_the_logs_hold():
    assert extract_reference(str(OPEN_RS_MIRROR)) == load_reference()


def test_which_experiment_a_model_is(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints" / "checkpoint-50").mkdir(parents=True)
    (run / "config.yaml").write_text(yaml.safe_dump({"experiment_name": "exp3"}))
    assert experiment_of(str(run)) == "exp3"
    assert experiment_of(str(run / "checkpoints" / "checkpoint-50")) == "exp3"
    assert experiment_of("knoveleng/Open-RS2") == "exp2"
    assert experiment_of(str(tmp_path)) is None
    assert reference_experiments("auto", str(run)) == ["exp3"]
    assert reference_experiments("auto", "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B") == [
        "exp1",
        "exp2",
        "exp3",
    ]
    assert reference_experiments("none", str(run)) == [] and reference_experiments("exp1", str(run)) == [
        "exp1"
    ]


@pytest.mark.parametrize("benchmark", list(load_reference()["benchmarks"]))
def test_our_benchmark_copies_hold_the_problems_the_paper_was_scored_on(benchmark):
    # lighteval logged xxh64 over the sorted xxh64s of every prompt: the same value from our files means
    # the same problem texts, row for row (the gold answers are not part of it), and the same prompt.
    xxhash = pytest.importorskip("xxhash")
    logged = load_reference()["benchmarks"][benchmark]
    problems = load_problems(benchmark)
    prompts = [PAPER_EVAL_PROMPT.replace("{problem}", p.problem) for p in problems]
    hashes = sorted(xxhash.xxh64(prompt.encode()).hexdigest() for prompt in prompts)
    assert len(problems) == logged["num_docs"]
    assert xxhash.xxh64("".join(hashes).encode()).hexdigest() == logged["hash_examples"]
