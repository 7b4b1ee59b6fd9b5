"""transformers' "missing keys" warning on resume is dropped for a tied head, and only for one.

That the resumed head really is the checkpoint's: tests/integration/test_resume.py.
"""

from __future__ import annotations

import logging

import pytest

from openrs.config.schema import TinyModelConfig
from openrs.models.tied_weights import (
    MISSING_KEYS_PREFIX,
    TRAINER_LOGGER,
    TiedKeysMissingFilter,
    quiet_missing_tied_keys,
    tied_parameter_names,
)
from openrs.models.tiny import build_tiny_qwen2, build_tiny_tokenizer


@pytest.fixture(scope="module")
def tiny_model():
    return build_tiny_qwen2(TinyModelConfig(), build_tiny_tokenizer(), seed=0)


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord(TRAINER_LOGGER, logging.WARNING, __file__, 1, message, None, None)


def test_the_tiny_models_head_is_its_embedding(tiny_model):
    assert tied_parameter_names(tiny_model) == {
        "lm_head.weight": {"model.embed_tokens.weight"},
        "model.embed_tokens.weight": {"lm_head.weight"},
    }


@pytest.mark.parametrize(
    "message, shown",
    [
        (f"{MISSING_KEYS_PREFIX}['lm_head.weight'].", False),  # loaded through the embedding it shares
        (f"{MISSING_KEYS_PREFIX}['lm_head.weight', 'model.embed_tokens.weight'].", True),  # neither loaded
        (f"{MISSING_KEYS_PREFIX}['model.norm.weight'].", True),  # not tied: really missing
        (f"{MISSING_KEYS_PREFIX}['lm_head.weight', 'model.norm.weight'].", True),
        (f"{MISSING_KEYS_PREFIX}[].", True),
        (f"{MISSING_KEYS_PREFIX}not a list", True),
        ("There were unexpected keys in the checkpoint model loaded: ['lm_head.weight'].", True),
    ],
)
def test_only_a_tied_copy_of_a_loaded_key_is_quieted(tiny_model, message, shown):
    assert TiedKeysMissingFilter(tied_parameter_names(tiny_model)).filter(record(message)) is shown


def test_an_untied_head_missing_is_still_shown(tiny_model):
    import copy

    import torch

    untied = copy.deepcopy(tiny_model)
    untied.lm_head.weight = torch.nn.Parameter(untied.lm_head.weight.detach().clone())
    assert tied_parameter_names(untied) == {}
    quiet = TiedKeysMissingFilter(tied_parameter_names(untied))
    assert quiet.filter(record(f"{MISSING_KEYS_PREFIX}['lm_head.weight']."))


def test_transformers_warning_is_dropped_where_it_is_logged(tiny_model):
    import inspect

    import transformers.trainer

    # Where and how transformers warns: if it moves, the filter would quietly stop working.
    assert transformers.trainer.logger.name == TRAINER_LOGGER
    assert MISSING_KEYS_PREFIX.strip() in inspect.getsource(
        transformers.trainer.Trainer._issue_warnings_after_load
    )
    seen = []
    handler = logging.Handler()
    handler.emit = seen.append
    logger = logging.getLogger(TRAINER_LOGGER)
    logger.addHandler(handler)
    quiet = quiet_missing_tied_keys(tiny_model)
    try:
        logger.warning(f"{MISSING_KEYS_PREFIX}['lm_head.weight'].")
        logger.warning(f"{MISSING_KEYS_PREFIX}['model.norm.weight'].")
    finally:
        logger.removeFilter(quiet)
        logger.removeHandler(handler)
    assert [r.getMessage() for r in seen] == [f"{MISSING_KEYS_PREFIX}['model.norm.weight']."]
