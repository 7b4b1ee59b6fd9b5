"""`python -m openrs.score`: a preset's rewards on a JSONL of completions, offline, one-line errors."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

import openrs.score  # noqa: F401 - registers base_score
from tests.conftest import group_options

ROOT = Path(__file__).resolve().parents[2]
FIVE = "$2 + 3 = \\boxed{5}$"
ROWS = [
    {
        "completion": "I add 2 and 3.\n</think>\n\nThe answer is $\\boxed{5}$.",
        "solution": FIVE,
        "answer": "5",
    },
    {"completion": "I add 2 and 2.\n</think>\n\\boxed{4}", "solution": FIVE, "answer": "5"},
    {
        "completion": "Still thinking when the budget ran out, maybe \\boxed{5}",
        "solution": FIVE,
        "answer": "5",
    },
    {"completion": "I add.\n</think>\n\\boxed{6}", "solution": "six", "answer": "6", "level": 3},
]


def cosine(correct: bool, n: int) -> float:
    low, high = (0.5, 1.0) if correct else (-0.5, 0.0)
    return low + 0.5 * (high - low) * (1 + math.cos(math.pi * n / 3584))


def run_score(tmp_path: Path, *args: str, rows: list[dict] | None = None) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "in.jsonl"
    if rows is not None:
        source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_ENDPOINT="http://127.0.0.1:9")
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "openrs.score", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_exp3_scores_each_row_in_order_with_its_rewards_and_no_model(tmp_path: Path) -> None:
    result = run_score(tmp_path, "+experiment=exp3", "input=in.jsonl", "output=out/scored.jsonl", rows=ROWS)
    assert result.returncode == 0, result.stderr[-2000:]
    scored = [json.loads(line) for line in (tmp_path / "out" / "scored.jsonl").read_text().splitlines()]
    assert [{k: v for k, v in r.items() if k not in ("rewards", "reward")} for r in scored] == ROWS
    expected = [
        {"format": 1.0, "cosine": cosine(True, len(ROWS[0]["completion"]))},
        {"format": 1.0, "cosine": cosine(False, len(ROWS[1]["completion"]))},
        {"format": 0.0, "cosine": cosine(True, len(ROWS[2]["completion"]))},  # a box while thinking counts
        {"format": 1.0, "cosine": 1.0},  # a gold that does not parse
    ]
    for row, want in zip(scored, expected, strict=True):
        assert row["rewards"] == pytest.approx(want)
        assert row["reward"] == pytest.approx(want["format"] + 2 * want["cosine"])
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "import time:" in line
    }
    assert not imported & {"torch", "transformers", "trl", "datasets", "huggingface_hub"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out"]  # nothing else written


def test_the_default_rewards_read_the_answer_column(tmp_path: Path) -> None:
    rows = [{"completion": r["completion"], "answer": r["answer"]} for r in ROWS]
    result = run_score(tmp_path, "input=in.jsonl", "output=out.jsonl", rows=rows)
    assert result.returncode == 0, result.stderr[-2000:]
    scored = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["rewards"]["accuracy"] for r in scored] == [1.0, 0.0, 1.0, 1.0]
    assert all(set(r["rewards"]) == {"accuracy", "format"} for r in scored)


@pytest.mark.parametrize(
    ("args", "rows", "message"),
    [
        (["input=missing.jsonl", "output=o.jsonl"], None, "input=missing.jsonl: no such file"),
        (["+experiment=exp3", "input=in.jsonl", "output=o.jsonl"], [{"completion": "x", "answer": "5"}],
         "row 1 has no 'solution' column (the reward 'cosine' reads its gold from it)"),
        (["input=in.jsonl", "output=o.jsonl"], [{"answer": "5"}], "row 1 has no 'completion' column"),
        (["input=in.jsonl", "output=o.jsonl"], [{"completion": ["x"], "answer": "5"}], "'completion' must be a string"),
        (["input=in.jsonl", "output=o.jsonl"], [], "no rows to score"),
        (["input=bad.jsonl", "output=o.jsonl"], None, "bad.jsonl:2: not valid JSON"),
        (["input=in.jsonl"], ROWS, "output"),
        (["input=in.jsonl", "output=o.jsonl", "+reward.funcs.accuracy.checkr=open_rs"], ROWS,
         "reward.funcs.accuracy.checkr: not a parameter"),
    ],
)  # fmt: skip
def test_bad_input_ends_in_one_line_and_exit_2(
    tmp_path: Path, args: list[str], rows: list | None, message: str
) -> None:
    (tmp_path / "bad.jsonl").write_text('{"completion": "x", "answer": "5"}\n{"completion": "x"\n')
    result = run_score(tmp_path, *args, rows=rows)
    errors = [line for line in result.stderr.splitlines() if "import time:" not in line and line.strip()]
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(errors) == 1 and message in errors[0], errors


@pytest.mark.parametrize("experiment", group_options("experiment"))
def test_the_score_config_composes_with_every_experiment(experiment: str) -> None:
    with initialize_config_dir(str(ROOT / "conf"), version_base=None):
        cfg = compose("score", overrides=[f"+experiment={experiment}", "input=a.jsonl", "output=b.jsonl"])
    assert cfg.experiment_name == experiment and cfg.input == "a.jsonl" and cfg.reward.funcs
