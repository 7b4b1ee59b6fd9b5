"""The tiny model path: a deterministic tokenizer that round-trips through save and load."""

from __future__ import annotations

from openrs.config.schema import TinyModelConfig
from openrs.models import load_tokenizer
from openrs.models.tiny import build_tiny_qwen2, build_tiny_tokenizer

PROMPT = [{"role": "user", "content": "What is 34 + 4?"}]


def token_ids(tokenizer) -> list[int]:
    ids = tokenizer.apply_chat_template(PROMPT, add_generation_prompt=True, tokenize=True)
    return list(ids["input_ids"] if hasattr(ids, "keys") else ids)


def test_tiny_tokenizer_is_deterministic_and_keeps_tags_whole():
    first, second = build_tiny_tokenizer(), build_tiny_tokenizer()
    assert first.get_vocab() == second.get_vocab()
    for tag in ("<think>", "</think>", "<answer>", "</answer>", "<|im_end|>"):
        assert len(first(tag, add_special_tokens=False)["input_ids"]) == 1, tag
    text = first.apply_chat_template(PROMPT, add_generation_prompt=True, tokenize=False)
    assert text.endswith("<|im_start|>assistant\n<think>\n")
    assert first.decode(first("\\boxed{9^{9}} ü")["input_ids"]) == "\\boxed{9^{9}} ü"


def test_saved_tiny_model_loads_back_with_the_same_tokenization(tmp_path):
    tokenizer = build_tiny_tokenizer()
    model = build_tiny_qwen2(TinyModelConfig(), tokenizer, seed=0)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    loaded = load_tokenizer(str(tmp_path))
    assert token_ids(loaded) == token_ids(tokenizer)
    assert loaded.padding_side == "left"
    assert loaded.eos_token == "<|im_end|>" and loaded.pad_token == "<|endoftext|>"


def test_reasoning_tags_survive_decoding_that_skips_special_tokens():
    # TRL decodes completions with skip_special_tokens=True before the format reward sees them.
    tokenizer = build_tiny_tokenizer()
    text = "<think>\n1+1=2\n</think>\n<answer>\\boxed{2}</answer><|im_end|>"
    decoded = tokenizer.decode(tokenizer(text)["input_ids"], skip_special_tokens=True)
    assert decoded == "<think>\n1+1=2\n</think>\n<answer>\\boxed{2}</answer>"
