"""`eval-throughput`: generated tokens/s of the evaluation's vLLM backend on DeepSeek-R1-Distill-Qwen-1.5B's shape.

The random model of the exact architecture (1.78B parameters, bf16) is saved to a temp dir and served by
`openrs.evaluate.backends.VLLMGenerator` itself, with the paper's protocol (temperature 0.6, top_p 0.95,
max_model_len 32768, one seeded request per completion, prefix caching). Random weights never emit EOS on
purpose, so every completion runs to `--max-new-tokens` (`ignore_eos`): the figure is the throughput at a
fixed, known length. Prompts are random token ids of `--prompt-tokens` (the paper's prompt plus a MATH-500
problem is about 150-300 tokens with the real tokenizer).

Run on a GPU machine:   python -m bench.gpu eval-throughput [--prompts 512 --max-new-tokens 4096 --samples 1]
It prints one JSON line and appends it to bench/results/eval_vllm_throughput.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench.gpu.random_model import REPO, environment, random_prompt_ids, save_random_model


def measure(args: argparse.Namespace, model_dir: Path) -> dict:
    """Generate prompts x samples completions of max_new_tokens each with the eval backend; timing."""
    from openrs.evaluate.backends import VLLMGenerator, resolve_backend
    from openrs.evaluate.config import BackendConfig, SamplingConfig

    # No tokenizer: random weights' ids mean nothing to any tokenizer, and prompts are ids already.
    cfg = BackendConfig(
        name="vllm",
        gpu_memory_utilization=args.gpu_memory_utilization,
        chunk_size=args.prompts * args.samples,
        vllm_engine_args={"skip_tokenizer_init": True},
    )
    sampling = SamplingConfig(max_new_tokens=args.max_new_tokens, num_samples=args.samples)
    start = time.perf_counter()
    generator = VLLMGenerator(
        str(model_dir), "main", None, resolve_backend(cfg), cfg, sampling,
        sampling_args={"ignore_eos": True, "detokenize": False},
    )  # fmt: skip
    load_s = time.perf_counter() - start
    requests = [p for p in random_prompt_ids(args.prompts, args.prompt_tokens) for _ in range(args.samples)]
    seeds = list(range(len(requests)))
    try:
        generator.generate(requests[:8], seeds[:8])  # warm-up: CUDA graphs, kernels
        start = time.perf_counter()
        outputs = generator.generate(requests, seeds)
        seconds = time.perf_counter() - start
    finally:
        generator.close()
    generated = sum(o.num_tokens for o in outputs)
    return {
        "bench": "eval_vllm_throughput",
        **environment(),
        "model": "random DeepSeek-R1-Distill-Qwen-1.5B architecture, bf16",
        "requests": len(requests),
        "prompt_tokens": args.prompt_tokens,
        "max_new_tokens": args.max_new_tokens,
        "gpu_memory_utilization": args.gpu_memory_utilization,
        "engine_load_s": round(load_s, 1),
        "generate_s": round(seconds, 2),
        "generated_tokens": generated,
        "generated_tokens_per_s": round(generated / seconds, 1),
        "completions_per_s": round(len(requests) / seconds, 3),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's options."""
    parser.add_argument("--prompts", type=int, default=512, help="distinct prompts (MATH-500 has 500)")
    parser.add_argument(
        "--samples", type=int, default=1, help="completions per prompt (eval.sampling.num_samples)"
    )
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--max-new-tokens", type=int, default=4096)
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.8)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "eval_vllm_throughput.jsonl")


def run(args: argparse.Namespace) -> None:
    """Build the model, measure, print and record one JSON line."""
    import torch

    if not torch.cuda.is_available():
        sys.exit("this benchmark needs a CUDA GPU and vLLM (pip install -e '.[gpu]')")
    with tempfile.TemporaryDirectory(prefix="r1-distill-random-") as tmp:
        parameters = save_random_model(Path(tmp))
        result = {**measure(args, Path(tmp)), "parameters": parameters}
    print(json.dumps(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as f:
        f.write(json.dumps(result) + "\n")
