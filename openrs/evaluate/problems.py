"""Benchmark problems and the prompts built from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openrs.data.benchmarks import benchmark_path
from openrs.data.prompts import build_conversation
from openrs.errors import ConfigError
from openrs.evaluate.config import PROBLEM_PLACEHOLDER, ProtocolConfig
from openrs.evaluate.files import column
from openrs.evaluate.paper_checker import GOLD_SOURCES
from openrs.jsonl import read_json_lines


@dataclass(frozen=True)
class Problem:
    """One benchmark problem with its gold answer (and worked solution, where the benchmark has one)."""

    benchmark: str
    id: str
    problem: str
    answer: str
    solution: str | None = None


def _problem(benchmark: str, row: dict, where: str, number: int, checker: str) -> Problem:
    """One validated row: `problem` (or the Hub OlympiadBench's `question`), `answer`, optional `solution`."""
    text = column(row, "question" if "problem" not in row and "question" in row else "problem", str, where)
    # A JSON number is a fine answer (the Hub's AMC-23 stores floats); null is not: str(None) parses as N*o*n*e.
    answer = column(row, "answer", (str, int, float), where)
    solution = column(row, "solution", str, where) if row.get("solution") is not None else None
    ident = column(row, "id", (str, int), where) if "id" in row else row.get("unique_id", f"line-{number}")
    gold_column = GOLD_SOURCES[benchmark][0]
    if checker == "paper" and gold_column == "solution" and solution is None:
        raise ConfigError(
            f"{where}: no 'solution' (the paper's checker reads {benchmark}'s gold from it); "
            "use eval.checker=boxed to score against 'answer'"
        )
    if not str(answer).strip() or not text.strip():
        raise ConfigError(f"{where}: '{'answer' if not str(answer).strip() else 'problem'}' is empty")
    return Problem(benchmark, str(ident), text, str(answer), solution)


def load_problems(
    benchmark: str, limit: int | None = None, benchmark_dir: str | None = None, checker: str = "paper"
) -> list[Problem]:
    """The first `limit` (all when None) problems of a benchmark: the packaged copy or `benchmark_dir/<name>.jsonl`."""
    path = benchmark_path(benchmark) if benchmark_dir is None else Path(benchmark_dir) / f"{benchmark}.jsonl"
    rows = read_json_lines(path)
    if not rows:
        raise ConfigError(f"{path} is empty: expected one JSON object per line")
    problems = [_problem(benchmark, row, f"{path}:{n}", n, checker) for n, row in rows]
    seen: set[str] = set()
    for p in problems:
        if p.id in seen:
            raise ConfigError(f"{path}: id '{p.id}' appears twice; ids must be unique")
        seen.add(p.id)
    return problems[:limit]


def prompt_text(problem: str, protocol: ProtocolConfig, tokenizer) -> str:
    """The text the model continues: the template filled in, wrapped in the chat template if asked."""
    user = protocol.prompt_template.replace(PROBLEM_PLACEHOLDER, problem)
    if not protocol.use_chat_template:
        return user
    messages = build_conversation(protocol.system_prompt, user)
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def prompt_token_ids(problem: str, protocol: ProtocolConfig, tokenizer) -> list[int]:
    """The prompt's token ids; a chat template already writes its own BOS, so none is added then."""
    text = prompt_text(problem, protocol, tokenizer)
    return list(tokenizer(text, add_special_tokens=not protocol.use_chat_template)["input_ids"])
