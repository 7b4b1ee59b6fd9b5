"""Tied weights (a head that is the input embedding's tensor) when a run resumes from a checkpoint.

`save_pretrained` writes a tied tensor once (`model.embed_tokens.weight`, not `lm_head.weight`), and
transformers' Trainer, loading the checkpoint into the model on resume, then warns "There were missing keys
in the checkpoint model loaded: ['lm_head.weight']". Nothing is lost: the embedding it loads in place is the
head's tensor too (tests/integration/test_resume.py checks the resumed head against the checkpoint's).
"""

from __future__ import annotations

import ast
import logging
from collections import defaultdict

# transformers' Trainer logs it on this logger (Trainer._issue_warnings_after_load).
TRAINER_LOGGER = "transformers.trainer"
MISSING_KEYS_PREFIX = "There were missing keys in the checkpoint model loaded: "


def tied_parameter_names(model) -> dict[str, set[str]]:
    """Each parameter name that shares its tensor with others, mapped to those other names."""
    names_by_tensor: dict[int, set[str]] = defaultdict(set)
    for name, param in model.named_parameters(remove_duplicate=False):
        names_by_tensor[id(param)].add(name)
    return {name: names - {name} for names in names_by_tensor.values() if len(names) > 1 for name in names}


class TiedKeysMissingFilter(logging.Filter):
    """Drops the missing-keys warning only when every missing key is a tied copy of a key that was loaded."""

    def __init__(self, tied: dict[str, set[str]]):
        super().__init__()
        self.tied = tied

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(MISSING_KEYS_PREFIX):
            return True
        try:
            missing = set(ast.literal_eval(message.removeprefix(MISSING_KEYS_PREFIX).rstrip(".")))
        except (ValueError, SyntaxError, TypeError):
            return True
        loaded_alias = all(self.tied.get(key, set()) - missing for key in missing)
        return not (missing and loaded_alias)


def quiet_missing_tied_keys(model) -> TiedKeysMissingFilter:
    """Keep transformers' false "missing keys" warning for `model`'s tied weights out of the log."""
    quiet = TiedKeysMissingFilter(tied_parameter_names(model))
    logging.getLogger(TRAINER_LOGGER).addFilter(quiet)
    return quiet
