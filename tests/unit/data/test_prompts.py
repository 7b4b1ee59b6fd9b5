"""One conversation for a problem: training data, warm-up, held-out evaluation and benchmarks agree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from openrs.data.build import add_prompts
from openrs.data.prompts import build_conversation, prompt_token_ids
from openrs.evaluate.config import PROBLEM_PLACEHOLDER, ProtocolConfig
from openrs.evaluate.problems import prompt_text
from openrs.micro_repro import evaluation
from openrs.models.tiny import build_tiny_tokenizer
from openrs.models.warmup import encode_demonstrations

PROBLEM = "12+34="


@pytest.mark.parametrize(
    "system_prompt, expected",
    [
        ("Add.", [{"role": "system", "content": "Add."}, {"role": "user", "content": PROBLEM}]),
        ("", [{"role": "user", "content": PROBLEM}]),
        (None, [{"role": "user", "content": PROBLEM}]),
    ],
)
def test_conversation_leaves_out_an_empty_system_prompt(system_prompt, expected):
    assert build_conversation(system_prompt, PROBLEM) == expected


def _held_out_prompts(monkeypatch, system_prompt: str) -> list[list[dict]]:
    seen = []

    def fake_sample(model, tokenizer, prompts, *, num_samples, **kwargs):
        seen.extend(prompts)
        return ["\\boxed{46}"] * len(prompts) * num_samples

    monkeypatch.setattr(evaluation, "sample_completions", fake_sample)
    rows = [{"problem": PROBLEM, "answer": "46"}]
    accuracy = evaluation.held_out_accuracy(
        None, None, rows, system_prompt, num_samples=1, temperature=1.0, max_new_tokens=8, seed=0
    )
    assert accuracy == 1.0
    return seen


@pytest.mark.parametrize("system_prompt", ["Add.", ""])
def test_every_prompt_builder_templates_the_same_text(monkeypatch, system_prompt):
    import datasets

    tokenizer = build_tiny_tokenizer(300)

    def templated(messages) -> str:
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)

    training = add_prompts(datasets.Dataset.from_list([{"problem": PROBLEM}]), system_prompt)[0]["prompt"]
    [(ids, prompt_len)] = encode_demonstrations(
        [{"problem": PROBLEM, "completion": "x"}], tokenizer, system_prompt
    )
    [held_out] = _held_out_prompts(monkeypatch, system_prompt)
    protocol = ProtocolConfig(prompt_template=PROBLEM_PLACEHOLDER, system_prompt=system_prompt)

    expected = templated(build_conversation(system_prompt, PROBLEM))
    assert PROBLEM in expected and (system_prompt in expected)
    assert templated(training) == expected
    assert tokenizer.decode(ids[:prompt_len]) == expected
    assert templated(held_out) == expected
    assert prompt_text(PROBLEM, protocol, tokenizer) == expected


def test_prompt_token_ids_are_the_templated_text_tokenised_once():
    """The ids the length filters and the warm-up use: the template's text, no second BOS, batch = one by one."""
    tokenizer = build_tiny_tokenizer(300)
    conversations = [build_conversation("Add.", PROBLEM), build_conversation(None, "1+2=")]
    ids = prompt_token_ids(conversations, tokenizer)
    for conversation, row in zip(conversations, ids, strict=True):
        text = tokenizer.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
        assert row == tokenizer(text, add_special_tokens=False)["input_ids"]
        assert prompt_token_ids([conversation], tokenizer) == [row]
    assert len(ids[0]) > len(ids[1]) and prompt_token_ids([], tokenizer) == []


def test_only_the_prompt_helper_writes_system_or_user_messages():
    """No module builds {"role": "system" | "user", ...} itself: they all call build_conversation."""
    package = Path(__file__).resolve().parents[3] / "openrs"
    writers = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Dict):
                pairs = {
                    k.value: v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant)
                }
                role = pairs.get("role")
                if isinstance(role, ast.Constant) and role.value in ("system", "user"):
                    writers.add(path.relative_to(package).as_posix())
    assert writers == {"data/prompts.py"}
