"""A tiny random Qwen2 and a tokenizer built locally, so that runs and tests need no Hub."""

from __future__ import annotations

from collections.abc import Iterable

from openrs.config.schema import PAPER_SYSTEM_PROMPT, TinyModelConfig

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<think>",
    "</think>",
    "<answer>",
    "</answer>",
]

# Qwen2-style ChatML; the generation prompt opens <think> as DeepSeek-R1-Distill's template does.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\n<think>\n' }}{%- endif -%}"
)


def default_tokenizer_corpus() -> list[str]:
    """Text the tiny tokenizer's merges are learnt from: prompts, tags and arithmetic."""
    lines = [PAPER_SYSTEM_PROMPT, "system", "user", "assistant", "\\boxed{}", "The answer is"]
    for a in range(0, 100, 7):
        for b in range(0, 100, 11):
            lines.append(f"What is {a} + {b}? {a} + {b} = {a + b}. \\boxed{{{a + b}}}")
            lines.append(f"What is {a} * {b}? {a} * {b} = {a * b}. \\boxed{{{a * b}}}")
    return lines


def build_tiny_tokenizer(vocab_size: int = 512, corpus: Iterable[str] | None = None):
    """Train a small byte-level BPE tokenizer (deterministic) with a ChatML chat template."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS[:3],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(list(corpus or default_tokenizer_corpus()), trainer=trainer)
    # Like DeepSeek-R1's <think>: whole tokens that are not special, so decoded completions keep them
    # (TRL decodes with skip_special_tokens, which would hide the tags from the format reward).
    backend.add_tokens([AddedToken(tag, special=False, normalized=False) for tag in SPECIAL_TOKENS[3:]])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[1:2],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.padding_side = "left"
    return tokenizer


def build_tiny_qwen2(spec: TinyModelConfig, tokenizer, seed: int):
    """A randomly initialised Qwen2ForCausalLM sized by `spec`, seeded for reproducibility."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_hidden_layers,
        num_attention_heads=spec.num_attention_heads,
        num_key_value_heads=spec.num_key_value_heads,
        max_position_embeddings=spec.max_position_embeddings,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model
