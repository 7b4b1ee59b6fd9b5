"""The conversation a policy is prompted with: an optional system message, then the problem as the user."""

from __future__ import annotations


def build_conversation(system_prompt: str | None, problem: str) -> list[dict[str, str]]:
    """Chat messages for one problem: the system prompt (left out when empty), then the user's problem."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [*messages, {"role": "user", "content": problem}]
