"""What the GPU benchmarks share: the random R1-Distill-Qwen-1.5B model, random prompts, the environment.

Speed does not depend on the weights, and the Hub is not needed: a randomly initialised Qwen2ForCausalLM
of the exact architecture stands in for the real model.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import random
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from openrs.models.architectures import R1_DISTILL_QWEN_1P5B

REPO = Path(__file__).resolve().parents[2]
# A 2-layer model of the same vocabulary: the CPU plumbing checks.
SMOKE_SHAPE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4)
PACKAGES = ("torch", "transformers", "trl", "vllm", "flash-attn", "accelerate")


def attention_impl() -> str:
    """flash_attention_2 when flash-attn is installed, else PyTorch SDPA."""
    return "flash_attention_2" if importlib.util.find_spec("flash_attn") else "sdpa"


def r1_config(**overrides):
    """The architecture as a transformers Qwen2Config, with `overrides` (a smaller shape, token ids)."""
    from transformers import Qwen2Config

    return Qwen2Config(**{**R1_DISTILL_QWEN_1P5B, **overrides})


def parameter_count() -> int:
    """Parameters of the architecture, counted on the meta device (no memory, no GPU)."""
    import torch
    from transformers import Qwen2ForCausalLM

    with torch.device("meta"):
        return Qwen2ForCausalLM(r1_config()).num_parameters()


def random_model(device: str = "cuda", dtype: str = "bfloat16", seed: int = 0, **overrides):
    """The randomly initialised model, built on `device` (on a GPU: seconds, where the CPU takes minutes)."""
    import torch
    from transformers import Qwen2ForCausalLM

    torch.manual_seed(seed)
    with torch.device(device):
        return Qwen2ForCausalLM._from_config(
            r1_config(**overrides), dtype=getattr(torch, dtype), attn_implementation=attention_impl()
        )


def padded_tiny_tokenizer(vocab_size: int):
    """openrs's tiny BPE tokenizer padded with unreachable tokens to `vocab_size`: random weights sample
    any id, and vLLM must decode it."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    from openrs.models.tiny import SPECIAL_TOKENS, build_tiny_tokenizer

    tokenizer = build_tiny_tokenizer(512)
    backend = json.loads(tokenizer.backend_tokenizer.to_str())
    vocab = backend["model"]["vocab"]
    taken = set(vocab) | {t["content"] for t in backend["added_tokens"]}
    next_id = max([*vocab.values(), *(t["id"] for t in backend["added_tokens"])]) + 1
    filler = (f"pad{i}" for i in range(10**7))
    while next_id < vocab_size:
        token = next(filler)
        if token not in taken:
            vocab[token], next_id = next_id, next_id + 1
    padded = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(backend)),
        eos_token=tokenizer.eos_token,
        pad_token=tokenizer.pad_token,
        additional_special_tokens=SPECIAL_TOKENS[1:2] + SPECIAL_TOKENS[3:],  # as build_tiny_tokenizer
    )
    padded.chat_template, padded.padding_side = tokenizer.chat_template, tokenizer.padding_side
    assert len(padded) == vocab_size, (len(padded), vocab_size)
    return padded


def save_random_model(
    model_dir: Path, device: str = "cuda", dtype: str = "bfloat16", seed: int = 0, with_tokenizer: bool = False,
    **overrides,
) -> int:  # fmt: skip
    """Save the random model (and, if asked, a tokenizer covering its vocabulary) to `model_dir`;
    its parameter count. The GPU memory it took is freed (vLLM sizes its KV cache from what is free)."""
    import torch

    tokenizer = None
    if with_tokenizer:
        tokenizer = padded_tiny_tokenizer(overrides.get("vocab_size", R1_DISTILL_QWEN_1P5B["vocab_size"]))
        ids = dict(
            eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, bos_token_id=None
        )
        overrides = {**ids, **overrides}
    model = random_model(device, dtype, seed, **overrides)
    if tokenizer is not None:
        model.generation_config.eos_token_id = tokenizer.eos_token_id
        tokenizer.save_pretrained(model_dir)
    model.save_pretrained(model_dir)
    count = model.num_parameters()
    del model
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return count


def random_prompt_ids(count: int, length: int, seed: int = 0) -> list[list[int]]:
    """Token-id prompts drawn from ordinary (non-special) vocabulary ids."""
    rng = random.Random(seed)
    return [[rng.randrange(1000, 150000) for _ in range(length)] for _ in range(count)]


def gpu_name() -> str:
    """The CUDA device's name, or that there is none."""
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device"


def environment() -> dict:
    """Host, device and package versions, for the results files."""
    import torch

    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "device": gpu_name(), "host": platform.node(), "cuda": torch.version.cuda,
        "python": platform.python_version(), **versions,
    }  # fmt: skip
