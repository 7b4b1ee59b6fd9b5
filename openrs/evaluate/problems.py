"""Benchmark problems and the prompts built from them."""

from __future__ import annotations

from dataclasses import dataclass

from openrs.data.benchmarks import load_benchmark
from openrs.evaluate.config import PROBLEM_PLACEHOLDER, ProtocolConfig


@dataclass(frozen=True)
class Problem:
    """One benchmark problem with its gold answer."""

    benchmark: str
    id: str
    problem: str
    answer: str


def load_problems(benchmark: str, limit: int | None = None) -> list[Problem]:
    """The first `limit` (all when None) problems of a packaged benchmark."""
    rows = load_benchmark(benchmark)[:limit]
    return [Problem(benchmark, str(r["id"]), str(r["problem"]), str(r["answer"])) for r in rows]


def prompt_text(problem: str, protocol: ProtocolConfig, tokenizer) -> str:
    """The text the model continues: the template filled in, wrapped in the chat template if asked."""
    user = protocol.prompt_template.replace(PROBLEM_PLACEHOLDER, problem)
    if not protocol.use_chat_template:
        return user
    messages = [{"role": "system", "content": protocol.system_prompt}] if protocol.system_prompt else []
    messages.append({"role": "user", "content": user})
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def prompt_token_ids(problem: str, protocol: ProtocolConfig, tokenizer) -> list[int]:
    """The prompt's token ids; a chat template already writes its own BOS, so none is added then."""
    text = prompt_text(problem, protocol, tokenizer)
    return list(tokenizer(text, add_special_tokens=not protocol.use_chat_template)["input_ids"])
