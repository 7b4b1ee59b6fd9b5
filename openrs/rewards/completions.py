"""Turn TRL's completion batches (strings or message lists) into text and lengths."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

from openrs.errors import ConfigError

logger = logging.getLogger(__name__)

LengthUnit = Literal["chars", "tokens"]
_warned_missing_ids = False


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multimodal parts: [{"type": "text", "text": ...}, ...]
        return "".join(part.get("text") or "" if isinstance(part, dict) else str(part) for part in content)
    return str(content)


def completion_text(completion: Any) -> str:
    """The text of one completion: a string, a message dict, or a list of message dicts."""
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return _content_text(completion.get("content"))
    if isinstance(completion, list | tuple):
        messages = [m for m in completion if isinstance(m, dict)]
        assistant = [m for m in messages if m.get("role", "assistant") == "assistant"] or messages
        return "".join(_content_text(m.get("content")) for m in assistant)
    return str(completion)


def completion_texts(completions: Sequence[Any] | None) -> list[str]:
    """The text of every completion in a TRL batch."""
    return [completion_text(c) for c in completions or []]


def completion_lengths(
    texts: Sequence[str], completion_ids: Sequence[Sequence[int]] | None, unit: LengthUnit
) -> list[int]:
    """Each completion's length in characters or tokens (tokens need TRL's `completion_ids`)."""
    global _warned_missing_ids
    if unit == "tokens":
        if completion_ids is not None and len(completion_ids) == len(texts):
            return [len(ids) if ids is not None else 0 for ids in completion_ids]
        if not _warned_missing_ids:
            logger.warning("length_unit='tokens' but no completion_ids were passed: measuring characters")
            _warned_missing_ids = True
    return [len(t) for t in texts]


def check_length_unit(unit: str, reward: str) -> None:
    """Raise ConfigError unless `unit` is 'chars' or 'tokens'."""
    if unit not in ("chars", "tokens"):
        raise ConfigError(f"{reward}: length_unit must be 'chars' or 'tokens', got {unit!r}")
