"""Row filters for training sets: duplicates, unparseable gold answers, prompts that are too long."""

from __future__ import annotations

import logging

from openrs.data.prompts import prompt_token_ids

log = logging.getLogger(__name__)


def normalize_problem(text: str) -> str:
    """Problem text compared case- and whitespace-insensitively (dedupe and contamination)."""
    return " ".join(text.lower().split())


def dedupe_problems(ds):
    """Keep the first row of each problem (after normalisation); later copies are dropped."""
    seen: set[str] = set()
    keep = []
    for i, problem in enumerate(ds["problem"]):
        key = normalize_problem(problem)
        if key not in seen:
            seen.add(key)
            keep.append(i)
    log.info("dropped %d of %d duplicate problems", len(ds) - len(keep), len(ds))
    return ds.select(keep)


def answer_is_parseable(answer: str) -> bool:
    """Whether math-verify can parse the gold answer (as the accuracy reward will)."""
    from openrs.rewards.answers import parse_gold

    return bool(parse_gold(answer))


def keep_parseable_answers(ds):
    """Drop rows whose gold answer math-verify cannot parse: they could never be rewarded."""
    keep = [i for i, answer in enumerate(ds["answer"]) if answer_is_parseable(answer)]
    log.info("dropped %d of %d rows with an unparseable gold answer", len(ds) - len(keep), len(ds))
    return ds.select(keep)


def with_prompt_tokens(ds, tokenizer):
    """Add a `prompt_tokens` column: the length of each chat-templated prompt, as TRL tokenises it."""

    def length(batch):
        return {"prompt_tokens": [len(ids) for ids in prompt_token_ids(batch["prompt"], tokenizer)]}

    return ds.map(length, batched=True, desc="prompt lengths")


def drop_long_prompts(ds, tokenizer, max_prompt_length: int):
    """Remove rows whose templated prompt exceeds `max_prompt_length` tokens (logged)."""
    ds = with_prompt_tokens(ds, tokenizer)
    kept = ds.filter(lambda n: n <= max_prompt_length, input_columns="prompt_tokens")
    log.info(
        "dropped %d of %d prompts longer than %d tokens", len(ds) - len(kept), len(ds), max_prompt_length
    )
    return kept.remove_columns("prompt_tokens")


def long_prompt_rows(ds, tokenizer, max_prompt_length: int) -> list[int]:
    """Indices of the rows whose templated prompt exceeds `max_prompt_length` tokens.

    With dataset.long_prompts=truncate they stay in the set and the trainer keeps their last
    `max_prompt_length` tokens, as the paper's TRL did (the system prompt is the first to go).
    """
    counts = with_prompt_tokens(ds, tokenizer)["prompt_tokens"]
    long_rows = [i for i, n in enumerate(counts) if n > max_prompt_length]
    log.info(
        "%d of %d prompts are longer than %d tokens: left-truncated when trained on",
        len(long_rows), len(ds), max_prompt_length,
    )  # fmt: skip
    return long_rows
