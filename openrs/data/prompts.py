"""The conversation a policy is prompted with: an optional system message, then the problem as the user."""

from __future__ import annotations

from collections.abc import Sequence


def build_conversation(system_prompt: str | None, problem: str) -> list[dict[str, str]]:
    """Chat messages for one problem: the system prompt (left out when empty), then the user's problem."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [*messages, {"role": "user", "content": problem}]


def prompt_token_ids(conversations: Sequence[list[dict[str, str]]], tokenizer) -> list[list[int]]:
    """Token ids of each conversation, chat-templated with the generation prompt, as TRL tokenises prompts."""
    if not conversations:
        return []
    ids = tokenizer.apply_chat_template(
        list(conversations), add_generation_prompt=True, tokenize=True, return_dict=False
    )
    return [list(row) for row in ids]
