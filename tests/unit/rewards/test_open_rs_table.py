"""R1-style completions scored as Open RS scored them (knoveleng/open-rs src/open_r1/rewards.py).

Each row holds what the original's definitions give, worked out by hand (../shared/PAPER.md, "Reward
definitions"): format is 1.0 iff the completion holds "\\n</think>\\n" exactly once; tag_count gives 0.5
for exactly one "<think>\\n" and 0.5 for exactly one "\\n</think>\\n"; accuracy parses the gold from
`solution` (first match, default LaTeX config) and the whole completion (boxed first, nothing without an
anchor such as `$...$`, "answer:" or "final answer is"; no malformed-operator fixes, so `\\frac12` does
not parse), 1.0 for a gold that does not parse; cosine is 0.5 + 0.25 (1 + cos(pi n / 3584)) when right
and -0.5 + 0.25 (1 + cos(pi n / 3584)) when wrong, n the completion's length in characters, unclamped.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import pytest
from omegaconf import OmegaConf

from openrs.rewards import build_reward_funcs

MAX_LEN = 3584
FIVE = "Adding gives $2 + 3 = 5$, so the answer is $\\boxed{5}$."  # a MATH-style solution whose gold is 5
HALF = "The probability is $\\boxed{\\frac{1}{2}}$."
CONF_REWARD = Path(__file__).resolve().parents[3] / "conf" / "reward"


def padded(head: str, tail: str, length: int) -> str:
    """head + filler + tail, `length` characters in all (filler: thinking with no math in it)."""
    filler = ("Let me check that once more. " * (length // 29 + 1))[: length - len(head) - len(tail)]
    return head + filler + tail


class Case(NamedTuple):
    completion: str
    solution: str
    format: float
    tag_count: float
    correct: bool | None  # None: the gold does not parse, so accuracy and cosine score 1.0


FAR = "\nThat was a first guess; the working below redoes the sum carefully from the start, digit by digit.\n"
CASES: dict[str, Case] = {
    # How the think block ends (R1-distill: the prompt opened <think>, the completion closes it).
    "closed think, boxed": Case(
        "I add 2 and 3.\n</think>\n\nThe answer is $\\boxed{5}$.", FIVE, 1.0, 0.5, True
    ),
    "closed think, wrong box": Case("I add 2 and 2.\n</think>\n\n$\\boxed{4}$", FIVE, 1.0, 0.5, False),
    "repeats <think>": Case(
        "<think>\nI add.\n</think>\n\n**Final Answer**\n\\boxed{5}", FIVE, 1.0, 1.0, True
    ),
    "truncated, no answer": Case("I add 2 and 3, then I check, and check again, and", FIVE, 0.0, 0.0, False),
    "truncated, boxed while thinking": Case(
        "Maybe it is \\boxed{5}? Let me double-check", FIVE, 0.0, 0.0, True
    ),
    "two closes": Case("I add.\n</think>\nWait.\n</think>\n\\boxed{5}", FIVE, 0.0, 0.0, True),
    "</think> without newline before": Case("I add.</think>\n\\boxed{5}", FIVE, 0.0, 0.0, True),
    "</think> without newline after": Case("I add.\n</think>\\boxed{5}", FIVE, 0.0, 0.0, True),
    "</think> at the very end": Case("I add 2 and 3.\n</think>\n", FIVE, 1.0, 0.5, False),
    "CRLF newlines": Case("I add.\r\n</think>\r\n\\boxed{5}", FIVE, 0.0, 0.0, True),
    "bare close, then a proper one": Case("a</think>b\n</think>\n\\boxed{5}", FIVE, 1.0, 0.5, True),
    "<think> twice": Case("<think>\n<think>\nI add.\n</think>\n\\boxed{5}", FIVE, 1.0, 0.5, True),
    "empty": Case("", FIVE, 0.0, 0.0, False),
    # The paper's <think>/<answer> tags: format ignores <answer>.
    "paper tags": Case("<think>\nI add.\n</think>\n<answer>\n\\boxed{5}\n</answer>", FIVE, 1.0, 1.0, True),
    "paper tags, R1 style": Case("I add.\n</think>\n<answer>\n$\\boxed{5}$\n</answer>", FIVE, 1.0, 0.5, True),
    "answer tag, no box": Case("I add.\n</think>\n<answer>\n5\n</answer>", FIVE, 1.0, 0.5, False),
    "answer tags only": Case("<answer>\n\\boxed{5}\n</answer>", FIVE, 0.0, 0.0, True),
    # Unboxed answers: only an anchor followed by LaTeX counts.
    "unboxed 'final answer is 5'": Case("I add.\n</think>\nThe final answer is 5.", FIVE, 1.0, 0.5, False),
    "'final answer is $5$'": Case("I add.\n</think>\nThe final answer is $5$.", FIVE, 1.0, 0.5, True),
    "'final answer is $5$. I hope'": Case(
        "I add.\n</think>\nThe final answer is $5$. I hope it is correct.", FIVE, 1.0, 0.5, True
    ),
    "'Answer: 5' without LaTeX": Case("I add.\n</think>\nAnswer: 5", FIVE, 1.0, 0.5, False),
    "'Answer: $5$'": Case("I add.\n</think>\nAnswer: $5$", FIVE, 1.0, 0.5, True),
    "bare $5$, no anchor": Case("I add.\n</think>\nSo we get $5$.", FIVE, 1.0, 0.5, False),
    "\\fbox": Case("I add.\n</think>\n\\fbox{5}", FIVE, 1.0, 0.5, False),
    # Several boxes: adjacent ones (under 10 characters apart, or under 70 with a separator) join into a set.
    "two boxes side by side": Case("I add.\n</think>\n\\boxed{3} or \\boxed{5}", FIVE, 1.0, 0.5, False),
    "two boxes far apart, last right": Case(
        "I add.\n</think>\n\\boxed{3}" + FAR + "\\boxed{5}", FIVE, 1.0, 0.5, True
    ),
    "two boxes far apart, last wrong": Case(
        "I add.\n</think>\n\\boxed{5}" + FAR + "\\boxed{3}", FIVE, 1.0, 0.5, False
    ),
    "the same box twice": Case("I add.\n</think>\n\\boxed{5}, that is \\boxed{5}", FIVE, 1.0, 0.5, True),
    "boxed while thinking, then unboxed": Case("Is it \\boxed{5}?\n</think>\nIt is 5.", FIVE, 1.0, 0.5, True),
    # What counts as equal (math-verify, open-r1's normalisation).
    "display math": Case("I add.\n</think>\n\\[\\boxed{5}\\]", FIVE, 1.0, 0.5, True),
    "negative": Case("I add.\n</think>\n\\boxed{-5}", FIVE, 1.0, 0.5, False),
    "\\frac12 does not parse": Case("I add.\n</think>\n\\boxed{\\frac12}", HALF, 1.0, 0.5, False),
    "\\frac{1}{2}": Case("I add.\n</think>\n\\boxed{\\frac{1}{2}}", HALF, 1.0, 0.5, True),
    "0.5 for 1/2": Case("I add.\n</think>\n\\boxed{0.5}", HALF, 1.0, 0.5, True),
    "units dropped": Case("I add.\n</think>\n\\boxed{5\\text{ cm}}", FIVE, 1.0, 0.5, True),
    "unboxed solution": Case("I add.\n</think>\n\\boxed{0.5}", "So $p = \\frac{1}{2}$.", 1.0, 0.5, True),
    "solution's first match is its box": Case(
        "I add.\n</think>\n\\boxed{2}", "We get $x=2$, so the answer is $\\boxed{5}$.", 1.0, 0.5, False
    ),
    # A gold that does not parse scores 1.0 whatever the completion.
    "gold without LaTeX": Case("I add.\n</think>\n\\boxed{5}", "5", 1.0, 0.5, None),
    "gold in words": Case("Hmm", "The answer is five.", 0.0, 0.0, None),
    "empty gold": Case("I add.\n</think>\n\\boxed{5}", "", 1.0, 0.5, None),
    # Lengths past max_len: the cosine is not clamped, so it wraps.
    "right, at max_len": Case(padded("I add. ", "\n</think>\n\\boxed{5}", MAX_LEN), FIVE, 1.0, 0.5, True),
    "right, at half max_len": Case(
        padded("I add. ", "\n</think>\n\\boxed{5}", MAX_LEN // 2), FIVE, 1.0, 0.5, True
    ),
    "right, at twice max_len": Case(
        padded("I add. ", "\n</think>\n\\boxed{5}", 2 * MAX_LEN), FIVE, 1.0, 0.5, True
    ),
    "wrong, at max_len": Case(padded("I add. ", "\n</think>\n\\boxed{6}", MAX_LEN), FIVE, 1.0, 0.5, False),
    "wrong, 1.5 max_len": Case(
        padded("I add. ", "\n</think>\n\\boxed{6}", 3 * MAX_LEN // 2), FIVE, 1.0, 0.5, False
    ),
    "truncated past max_len": Case(padded("I add. ", "", 4000), FIVE, 0.0, 0.0, False),
    "unparseable gold, long": Case(padded("I add. ", "\n</think>\n\\boxed{6}", 5000), "6", 1.0, 0.5, None),
}
HAND_COSINE = {  # the cosine's four anchor points and where it wraps, from the definition
    "right, at max_len": 0.5,
    "right, at half max_len": 0.75,
    "right, at twice max_len": 1.0,
    "wrong, at max_len": -0.5,
    "wrong, 1.5 max_len": -0.25,
    "unparseable gold, long": 1.0,
    "empty": 0.0,
}


def expected_cosine(case: Case) -> float:
    if case.correct is None:
        return 1.0
    low, high = (0.5, 1.0) if case.correct else (-0.5, 0.0)
    return low + 0.5 * (high - low) * (1.0 + math.cos(math.pi * len(case.completion) / MAX_LEN))


def paper_rewards(name: str) -> dict[str, object]:
    """The reward functions of a shipped reward config, by entry name."""
    cfg = OmegaConf.merge(
        {"trainer": {"max_completion_length": MAX_LEN}}, {"reward": OmegaConf.load(CONF_REWARD / name)}
    )
    specs = OmegaConf.to_container(cfg.reward.funcs, resolve=True)
    funcs, _ = build_reward_funcs(specs)
    return dict(zip([k for k, v in specs.items() if v and v.get("weight", 1.0)], funcs, strict=True))


def test_the_table_covers_enough_cases() -> None:
    assert len(CASES) >= 40
    assert {c.correct for c in CASES.values()} == {True, False, None}
    assert len(HAND_COSINE) == sum(
        expected_cosine(CASES[k]) == pytest.approx(v) for k, v in HAND_COSINE.items()
    )


@pytest.fixture(scope="module")
def scored() -> dict[str, dict[str, list[float | None]]]:
    """Every case scored once (in one batch per reward, as a trainer step would) with the paper presets."""
    completions = [[{"role": "assistant", "content": c.completion}] for c in CASES.values()]
    solutions = [c.solution for c in CASES.values()]
    out = {}
    for config in ("accuracy_format.yaml", "format_cosine.yaml"):
        for name, func in paper_rewards(config).items():
            out[name] = func(completions, solution=solutions, answer=["unused"] * len(CASES))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_paper_rewards_score_the_completion_as_open_rs_did(name: str, scored: dict) -> None:
    case = CASES[name]
    i = list(CASES).index(name)
    assert scored["format"][i] == case.format
    assert scored["accuracy"][i] == (1.0 if case.correct in (True, None) else 0.0)
    assert scored["cosine"][i] == pytest.approx(expected_cosine(case))
    assert paper_rewards_tag_count([case.completion]) == [case.tag_count]


def paper_rewards_tag_count(completions: list[str]) -> list[float | None]:
    from openrs.rewards import tag_count_reward

    return tag_count_reward(completions)
