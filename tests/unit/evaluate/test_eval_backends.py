"""Backend choice and the transformers generator on a tiny model; vLLM where a GPU is present."""

from __future__ import annotations

import importlib.util

import pytest

from openrs.errors import EnvironmentUnavailableError
from openrs.evaluate.backends import ResolvedBackend, TransformersGenerator, build_generator, resolve_backend
from openrs.evaluate.config import BackendConfig, ProtocolConfig, SamplingConfig
from openrs.evaluate.problems import load_problems, prompt_text, prompt_token_ids

HAS_VLLM = importlib.util.find_spec("vllm") is not None


def test_cpu_machine_choices():
    import torch

    if torch.cuda.is_available():
        pytest.skip("checks the CPU-only choices")
    assert resolve_backend(BackendConfig()) == ResolvedBackend("transformers", "cpu", "float32")
    assert resolve_backend(BackendConfig(name="transformers", dtype="bfloat16")).dtype == "bfloat16"
    with pytest.raises(EnvironmentUnavailableError, match="CUDA GPU"):
        resolve_backend(BackendConfig(name="transformers", device="cuda"))


@pytest.mark.skipif(HAS_VLLM, reason="vLLM is installed here")
def test_vllm_without_the_package_says_how_to_install_it():
    with pytest.raises(EnvironmentUnavailableError, match=r"pip install -e '.\[gpu\]'"):
        resolve_backend(BackendConfig(name="vllm"))


def test_prompt_is_the_filled_template_in_the_chat_template(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    problem = load_problems("aime24", 1)[0].problem
    protocol = ProtocolConfig()
    text = prompt_text(problem, protocol, tokenizer)
    assert text.startswith("<|im_start|>user\nSolve the following math problem efficiently and clearly.")
    assert problem in text and text.endswith("<|im_start|>assistant\n<think>\n")
    plain = ProtocolConfig(use_chat_template=False, prompt_template="Q: {problem}\nA:")
    assert prompt_text(problem, plain, tokenizer) == f"Q: {problem}\nA:"
    assert tokenizer.decode(prompt_token_ids(problem, protocol, tokenizer)) == text


def test_transformers_generation_is_seeded_and_bounded(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    backend = resolve_backend(BackendConfig(name="transformers", device="cpu"))
    generator = TransformersGenerator(
        str(tiny_model_dir),
        "main",
        tokenizer,
        backend,
        BackendConfig(cpu_threads=1),
        SamplingConfig(max_new_tokens=12),
    )
    prompts = [tokenizer("What is 2 + 3?")["input_ids"], tokenizer("What is 7 * 11? Think.")["input_ids"]]
    try:
        first = generator.generate(prompts, seeds=[5, 6])
        again = generator.generate(prompts, seeds=[5, 6])
        other = generator.generate(prompts, seeds=[7, 8])
    finally:
        generator.close()
    assert first == again and first != other
    for g in first:
        assert 1 <= g.num_tokens <= 12
        assert g.finish_reason == ("length" if g.num_tokens == 12 else "stop")


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_VLLM, reason="needs a CUDA GPU and vLLM")
def test_vllm_generation_is_seeded_and_bounded(tmp_path):
    from openrs.config.schema import TinyModelConfig
    from openrs.models.tiny import build_tiny_qwen2, build_tiny_tokenizer

    tokenizer = build_tiny_tokenizer()
    # Heads of 64 dimensions: the smallest size vLLM's attention kernels all support.
    spec = TinyModelConfig(hidden_size=256, intermediate_size=512, num_attention_heads=4)
    build_tiny_qwen2(spec, tokenizer, seed=0).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    cfg = BackendConfig(name="vllm", max_model_len=1024, gpu_memory_utilization=0.3, enforce_eager=True)
    generator = build_generator(str(tmp_path), "main", tokenizer, resolve_backend(cfg), cfg,
                                SamplingConfig(max_new_tokens=12))  # fmt: skip
    prompts = [tokenizer("What is 2 + 3?")["input_ids"]] * 2
    try:
        first, second = generator.generate(prompts, seeds=[5, 5])
        (other,) = generator.generate(prompts[:1], seeds=[6])
    finally:
        generator.close()
    assert first == second and 1 <= first.num_tokens <= 12 and first.finish_reason in ("stop", "length")
    assert other.text != first.text or other.num_tokens != first.num_tokens
