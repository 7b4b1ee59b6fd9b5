"""`exp2-cost`: exp2's generation and training speed on one GPU, and the projected cost of the paper's run.

A randomly initialised model of DeepSeek-R1-Distill-Qwen-1.5B's exact architecture in bf16, flash-attention 2
when installed, else SDPA:
- generation: the tokens/s of one exp2 generation batch (12 prompts x 6 completions, temperature 0.7,
  every completion run to the full length: `ignore_eos`), with vLLM when installed, else `generate`;
- training: one micro-batch of exp2's shape (prompt + completion tokens) through TRL's own fused LM head
  (`trl.trainer.utils.add_fused_lm_head`, the path GRPOTrainer uses) for the policy (forward + backward,
  gradient checkpointing) and the reference model (forward), the GRPO loss with KL, then one AdamW step;
- the projection (exp2_projection.py): exp2's 500 steps of 72 completions each, on one GPU (generate, then
  train, as TRL's colocated mode does) and on the paper's 4-GPU layout (one vLLM GPU, three training GPUs),
  in hours, GPU-hours and $, against the paper's 24 h on 4x A40 for $42.

Every completion is taken at the full 3584 tokens, so the projection is an upper bound for generation and
training work; it leaves out vLLM weight syncs, ZeRO-2 communication and reward time (small on CPU).
Each phase runs in its own process (vLLM and training each want the GPU's memory).

Not run yet: it was written without a GPU; `--dry-run` checks the architecture (on the meta device) and the
projection arithmetic anywhere.

Run on a GPU machine:   python -m bench.gpu exp2-cost [--usd-per-gpu-hour 2.5]
Check the arithmetic:   python -m bench.gpu exp2-cost --dry-run --gen-tokens-per-s 8000 --train-s-per-seq 0.5
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

from bench.gpu.exp2_projection import EXP2, Measured, project, render
from bench.gpu.random_model import (
    REPO,
    attention_impl,
    environment,
    parameter_count,
    random_model,
    random_prompt_ids,
    save_random_model,
)

RESULTS = REPO / "bench" / "gpu_exp2_cost_results.md"


# ---------------------------------------------------------------- phases (each in its own process)
def phase_save(args) -> dict:
    """Save the random model for vLLM to load."""
    return {"model_dir": args.model_dir, "parameters": save_random_model(Path(args.model_dir))}


def phase_generate(args) -> dict:
    """Tokens/s of one exp2 generation batch, vLLM when installed, else transformers `generate`."""
    prompts = random_prompt_ids(EXP2.completions_per_step // EXP2.num_generations, args.prompt_tokens)
    if importlib.util.find_spec("vllm"):
        from vllm import LLM, SamplingParams

        llm = LLM(
            model=args.model_dir, dtype="bfloat16", skip_tokenizer_init=True, seed=42,
            gpu_memory_utilization=args.vllm_gpu_memory_utilization,
            max_model_len=args.prompt_tokens + args.completion_tokens,
        )  # fmt: skip
        inputs = [{"prompt_token_ids": p} for p in prompts]

        def run(max_tokens: int) -> int:
            params = SamplingParams(
                n=EXP2.num_generations, temperature=EXP2.temperature, max_tokens=max_tokens,
                ignore_eos=True, detokenize=False,
            )  # fmt: skip
            outputs = llm.generate(inputs, params, use_tqdm=False)
            return sum(len(c.token_ids) for o in outputs for c in o.outputs)

        engine = f"vLLM {version('vllm')} (gpu_memory_utilization {args.vllm_gpu_memory_utilization})"
    else:
        import torch

        model = random_model().eval()
        ids = torch.tensor(prompts, device="cuda").repeat_interleave(EXP2.num_generations, dim=0)

        def run(max_tokens: int) -> int:
            with torch.no_grad():
                out = model.generate(
                    ids, attention_mask=torch.ones_like(ids), do_sample=True, temperature=EXP2.temperature,
                    max_new_tokens=max_tokens, min_new_tokens=max_tokens, pad_token_id=0, use_cache=True,
                )  # fmt: skip
            return (out.shape[1] - ids.shape[1]) * out.shape[0]

        engine = f"transformers {version('transformers')} generate ({attention_impl()})"
    run(16)  # warm-up: CUDA graphs, kernels, allocator
    start = time.perf_counter()
    tokens = run(args.completion_tokens)
    seconds = time.perf_counter() - start
    return {"engine": engine, "tokens": tokens, "seconds": seconds, "gen_tokens_per_s": tokens / seconds}


def grpo_micro_step(
    policy, ref, micro: int, prompt_tokens: int, completion_tokens: int, device: str = "cuda"
) -> None:
    """Forward + backward of one GRPO micro-batch, with the reference model's log-probs and the KL term."""
    import torch

    length = prompt_tokens + completion_tokens
    vocab = policy.config.vocab_size
    ids = torch.randint(min(1000, vocab // 2), vocab, (micro, length), device=device)
    mask = torch.ones_like(ids)
    labels = ids.clone()
    labels[:, :prompt_tokens] = -100  # only completion tokens are scored, as in TRL
    with torch.no_grad():
        ref_logps = ref(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True).log_probs
    logps = policy(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True).log_probs
    ref_logps, logps = ref_logps[:, -completion_tokens:], logps[:, -completion_tokens:]
    advantages = torch.randn(micro, 1, device=device)
    kl = torch.exp(ref_logps - logps) - (ref_logps - logps) - 1
    per_token = -torch.exp(logps - logps.detach()) * advantages + EXP2.beta * kl
    per_token.mean(dim=1).mean().backward()


def phase_train(args) -> dict:
    """Seconds per sequence for exp2's training work, and one AdamW step, at the largest micro-batch that fits."""
    import copy

    import torch
    from trl.trainer.utils import add_fused_lm_head

    policy = random_model(use_cache=False)
    policy.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    policy.train()
    ref = copy.deepcopy(policy).eval().requires_grad_(False)
    add_fused_lm_head(policy, temperature=EXP2.temperature, outputs=("log_probs", "entropy"))
    add_fused_lm_head(ref, temperature=EXP2.temperature)
    optimizer = torch.optim.AdamW(policy.parameters(), lr=1e-6)
    micro = args.micro_batch
    while True:
        try:
            grpo_micro_step(policy, ref, micro, args.prompt_tokens, args.completion_tokens)  # warm-up
            break
        except torch.OutOfMemoryError:
            policy.zero_grad(set_to_none=True)
            torch.cuda.empty_cache()
            if micro == 1:
                raise
            micro //= 2
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(args.train_iters):
        grpo_micro_step(policy, ref, micro, args.prompt_tokens, args.completion_tokens)
    torch.cuda.synchronize()
    micro_s = (time.perf_counter() - start) / args.train_iters
    optimizer.step()  # the first step allocates the AdamW state; time the second
    torch.cuda.synchronize()
    start = time.perf_counter()
    optimizer.step()
    torch.cuda.synchronize()
    return {
        "micro_batch": micro, "micro_step_s": micro_s, "train_s_per_seq": micro_s / micro,
        "optim_step_s": time.perf_counter() - start, "attention": attention_impl(),
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
    }  # fmt: skip


PHASES = {"save": phase_save, "generate": phase_generate, "train": phase_train}


# ---------------------------------------------------------------- orchestration
def run_phase(name: str, args, work: Path) -> tuple[dict, str]:
    """Run one phase in a fresh process; its JSON result and command line."""
    out = work / f"{name}.json"
    cmd = [sys.executable, "-m", "bench.gpu", "exp2-cost", "--phase", name, "--phase-out", str(out),
           "--model-dir", args.model_dir, "--prompt-tokens", str(args.prompt_tokens),
           "--completion-tokens", str(args.completion_tokens), "--micro-batch", str(args.micro_batch),
           "--train-iters", str(args.train_iters),
           "--vllm-gpu-memory-utilization", str(args.vllm_gpu_memory_utilization)]  # fmt: skip
    print(f"$ {shlex.join(cmd)}", flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)
    return json.loads(out.read_text()), shlex.join(cmd)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's options."""
    parser.add_argument("--dry-run", action="store_true", help="no GPU: project from the timings given below")
    parser.add_argument("--gen-tokens-per-s", type=float, help="--dry-run: generation tokens/s")
    parser.add_argument("--train-s-per-seq", type=float, help="--dry-run: training seconds per sequence")
    parser.add_argument("--optim-step-s", type=float, default=0.0, help="--dry-run: AdamW step seconds")
    parser.add_argument("--usd-per-gpu-hour", type=float, default=2.5, help="price of the measured GPU")
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--completion-tokens", type=int, default=EXP2.max_completion_length)
    parser.add_argument("--micro-batch", type=int, default=EXP2.per_device_train_batch_size)
    parser.add_argument("--train-iters", type=int, default=3)
    parser.add_argument("--vllm-gpu-memory-utilization", type=float, default=0.7)
    parser.add_argument("--work-dir", default="/tmp/openrs_bench/gpu")
    parser.add_argument("--model-dir", default="/tmp/openrs_bench/gpu/r1_distill_qwen_1p5b_random")
    parser.add_argument(
        "--out", help=f"results file (default {RESULTS.relative_to(REPO)}; --dry-run prints only)"
    )
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--phase-out", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> None:
    """Measure on the GPU (or take the given timings with --dry-run), project, write the results."""
    if args.phase:
        Path(args.phase_out).write_text(json.dumps(PHASES[args.phase](args)))
        return
    if args.dry_run:
        if args.gen_tokens_per_s is None or args.train_s_per_seq is None:
            sys.exit("--dry-run needs --gen-tokens-per-s and --train-s-per-seq")
        measured = Measured(args.gen_tokens_per_s, args.train_s_per_seq, args.optim_step_s)
        details, commands = {}, []
    else:
        work = Path(args.work_dir)
        work.mkdir(parents=True, exist_ok=True)
        details, commands = {}, []
        phases = (["save"] if importlib.util.find_spec("vllm") else []) + ["generate", "train"]
        for name in phases:
            result, cmd = run_phase(name, args, work)
            details.update(result)
            commands.append(cmd)
        measured = Measured(details["gen_tokens_per_s"], details["train_s_per_seq"], details["optim_step_s"])
    details.setdefault("parameters", parameter_count())
    projection = project(measured, args.completion_tokens, args.usd_per_gpu_hour)
    text = render(measured, projection, args, environment(), details, commands)
    out = args.out or (None if args.dry_run else str(RESULTS))
    if out:
        Path(out).write_text(text)
    print(text)
