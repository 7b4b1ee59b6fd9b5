"""GPU benchmark: generated tokens/s of the evaluation's vLLM backend on DeepSeek-R1-Distill-Qwen-1.5B's shape.

The weights cannot be downloaded here, and speed does not depend on them: a randomly initialised
Qwen2ForCausalLM of the exact architecture (1.78B parameters, bf16) is saved to a temp dir and served
by `openrs.evaluate.backends.VLLMGenerator` itself, with the paper's protocol (temperature 0.6, top_p
0.95, max_model_len 32768, one seeded request per completion, prefix caching). Random weights never
emit EOS on purpose, so every completion runs to `--max-new-tokens` (`ignore_eos`): the figure is the
throughput at a fixed, known length. Prompts are random token ids of `--prompt-tokens` (the paper's
prompt plus a MATH-500 problem is about 150-300 tokens with the real tokenizer).

Run on a GPU machine (`pip install -e ".[gpu]"`):
    python bench/eval_vllm_throughput.py [--prompts 512 --max-new-tokens 4096 --samples 1]
It prints one JSON line and appends it to bench/results/eval_vllm_throughput.jsonl.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from openrs.models.architectures import R1_DISTILL_QWEN_1P5B

ROOT = Path(__file__).resolve().parents[1]


def save_random_model(model_dir: Path) -> int:
    """Save a random bf16 model of the R1-distill shape (built on the GPU: seconds); its parameter count."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(**R1_DISTILL_QWEN_1P5B)
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = Qwen2ForCausalLM._from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(model_dir)
    count = model.num_parameters()
    del model
    torch.cuda.empty_cache()  # vLLM sizes its KV cache from the memory left free
    return count


def measure(args: argparse.Namespace, model_dir: Path) -> dict:
    """Generate prompts x samples completions of max_new_tokens each with the eval backend; timing."""
    import torch

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
    rng = random.Random(0)
    prompts = [[rng.randrange(0, 151643) for _ in range(args.prompt_tokens)] for _ in range(args.prompts)]
    requests = [p for p in prompts for _ in range(args.samples)]
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
        "gpu": torch.cuda.get_device_name(0),
        "vllm": version("vllm"),
        "torch": version("torch"),
        "python": platform.python_version(),
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


def main() -> None:
    """Parse arguments, build the model, measure, print and record one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=512, help="distinct prompts (MATH-500 has 500)")
    parser.add_argument(
        "--samples", type=int, default=1, help="completions per prompt (eval.sampling.num_samples)"
    )
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--max-new-tokens", type=int, default=4096)
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.8)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "eval_vllm_throughput.jsonl")
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
