"""Supervised warm-up: only completion tokens are trained on, the loss falls, and it is seeded."""

from __future__ import annotations

import pytest

from openrs.config.schema import TinyModelConfig, WarmupConfig
from openrs.errors import ConfigError
from openrs.models.tiny import build_tiny_qwen2, build_tiny_tokenizer
from openrs.models.warmup import IGNORE_INDEX, collate, encode_demonstrations, load_demonstrations, warm_up


def test_collate_scores_only_completion_tokens():
    input_ids, mask, labels = collate([([5, 6, 7, 8], 2), ([9, 10, 11], 1)], pad_id=0)
    assert input_ids.tolist() == [[5, 6, 7, 8], [9, 10, 11, 0]]
    assert mask.tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert labels.tolist() == [[IGNORE_INDEX, IGNORE_INDEX, 7, 8], [IGNORE_INDEX, 10, 11, IGNORE_INDEX]]


def test_demonstrations_are_templated_like_grpo_prompts_and_end_with_eos():
    tokenizer = build_tiny_tokenizer(300)
    rows = [{"problem": "12+34=", "completion": "x\n</think>"}]
    [(ids, prompt_len)] = encode_demonstrations(rows, tokenizer, "Add.")
    messages = [{"role": "system", "content": "Add."}, {"role": "user", "content": "12+34="}]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert tokenizer.decode(ids[:prompt_len]) == prompt
    assert ids[-1] == tokenizer.eos_token_id


def test_warm_up_lowers_the_loss_and_is_deterministic():
    import torch

    tokenizer = build_tiny_tokenizer(300)
    spec = WarmupConfig(system_prompt="Add.", num_examples=64, steps=30, batch_size=8, lr=3e-3)
    examples = encode_demonstrations(load_demonstrations(spec, seed=0), tokenizer, spec.system_prompt)
    batch = collate(examples[:32], tokenizer.pad_token_id)

    def loss(model) -> float:
        with torch.no_grad():
            return model(input_ids=batch[0], attention_mask=batch[1], labels=batch[2]).loss.item()

    models = [build_tiny_qwen2(TinyModelConfig(), tokenizer, seed=0) for _ in range(2)]
    before = loss(models[0])
    for model in models:
        warm_up(model, tokenizer, spec, seed=0)
    assert loss(models[0]) < 0.7 * before
    for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert torch.equal(a, b)


def test_unknown_demonstrations_generator_fails_in_one_line():
    with pytest.raises(ConfigError, match="warmup.demonstrations"):
        load_demonstrations(WarmupConfig(demonstrations="openrs.micro_repro.task.nope"), seed=0)


def test_preflight_names_a_misspelled_demonstrations_generator(compose_cfg):
    from openrs.preflight import check_sources

    overrides = ["+experiment=micro_repro", "model.tiny.warmup.demonstrations=openrs.micro_repro.task.nope"]
    with pytest.raises(
        ConfigError, match="model.tiny.warmup.demonstrations: cannot use .* no function 'nope'"
    ):
        check_sources(compose_cfg(overrides)[1])
    check_sources(compose_cfg(["+experiment=micro_repro"])[1])
