"""The micro task: disjoint splits, worked solutions the rewards accept, estimates they mostly reject."""

from __future__ import annotations

import pytest

from openrs.micro_repro import task
from openrs.models.tiny import build_tiny_tokenizer
from openrs.rewards import accuracy_reward, format_reward


@pytest.mark.parametrize(
    "a, b, solution",
    [
        (12, 34, "2+4=6\n1+3=4\n</think>\n<answer>\n\\boxed{46}\n</answer>"),
        (47, 38, "7+8=15\n4+3+1=8\n</think>\n<answer>\n\\boxed{85}\n</answer>"),
        (67, 58, "7+8=15\n6+5+1=12\n</think>\n<answer>\n\\boxed{125}\n</answer>"),
        (99, 99, "9+9=18\n9+9+1=19\n</think>\n<answer>\n\\boxed{198}\n</answer>"),
    ],
)
def test_worked_solution_adds_column_by_column(a, b, solution):
    assert task.worked_solution(a, b) == solution


def test_splits_are_disjoint_and_the_held_out_one_is_fixed():
    train = {row["problem"] for row in task.generate_micro_arith(10_000, seed=0)}
    held_out = {row["problem"] for row in task.held_out_rows(10_000, seed=0)}
    assert len(train) + len(held_out) == 90 * 90 and not train & held_out
    assert 0.08 < len(held_out) / (90 * 90) < 0.17  # about one in HELD_OUT_EVERY
    assert task.held_out_rows(64, seed=3) == task.held_out_rows(64, seed=3)
    demo_problems = {row["problem"] for row in task.demonstrations(2000, seed=0)}
    assert not demo_problems & held_out


def test_rewards_accept_worked_solutions_and_reject_most_estimates():
    rows = task.held_out_rows(200, seed=0)
    pairs = [tuple(int(x) for x in row["problem"].rstrip("=").split("+")) for row in rows]
    answers = [row["answer"] for row in rows]
    worked = [task.worked_solution(a, b) for a, b in pairs]
    estimated = [task.estimated_answer(a, b) for a, b in pairs]
    assert accuracy_reward(worked, answers, num_workers=0) == [1.0] * len(rows)
    assert format_reward(worked, prompt_opens_think=True) == [1.0] * len(rows)
    assert format_reward(estimated, prompt_opens_think=True) == [1.0] * len(rows)
    estimate_scores = accuracy_reward(estimated, answers, num_workers=0)
    assert estimate_scores == [float(int(a) % 10 == 0) for a in answers]
    assert sum(estimate_scores) / len(rows) < 0.2


def test_demonstrations_mix_worked_and_estimated_answers():
    rows = task.demonstrations(4000, seed=1)
    worked = sum("</think>" in row["completion"] and not row["completion"].startswith("\n") for row in rows)
    assert abs(worked / len(rows) - task.WORKED_FRACTION) < 0.03


def test_every_digit_is_one_token_with_the_micro_vocabulary():
    tokenizer = build_tiny_tokenizer(300)  # conf/model/tiny_qwen2_warm.yaml
    text = task.problem_text(90, 78) + task.worked_solution(90, 78)
    pieces = [tokenizer.decode([i]) for i in tokenizer(text, add_special_tokens=False)["input_ids"]]
    assert all(len(p) == 1 for p in pieces if any(c.isdigit() for c in p)), pieces
