"""GPU benchmark: exp2's generation and training speed on one GPU, and the projected cost of the paper's run.

A randomly initialised model of DeepSeek-R1-Distill-Qwen-1.5B's exact architecture (no download; speed does
not depend on the weights) in bf16, flash-attention 2 when installed, else SDPA:
- generation: the tokens/s of one exp2 generation batch (12 prompts x 6 completions, temperature 0.7,
  every completion run to the full length: `ignore_eos`), with vLLM when installed, else `generate`;
- training: one micro-batch of exp2's shape (prompt + completion tokens) through TRL's own fused LM head
  (`trl.trainer.utils.add_fused_lm_head`, the path GRPOTrainer uses) for the policy (forward + backward,
  gradient checkpointing) and the reference model (forward), the GRPO loss with KL, then one AdamW step;
- the projection: exp2's 500 steps of 72 completions each, on one GPU (generate, then train, as TRL's
  colocated mode does) and on the paper's 4-GPU layout (one vLLM GPU, three training GPUs), in hours,
  GPU-hours and $, against the paper's 24 h on 4x A40 for $42.

Every completion is taken at the full 3584 tokens, so the projection is an upper bound for generation and
training work; it leaves out vLLM weight syncs, ZeRO-2 communication and reward time (small on CPU).
Each phase runs in its own process (vLLM and training each want the GPU's memory).

Not run yet: it was written without a GPU; `--dry-run` checks the architecture (on the meta device) and the
projection arithmetic anywhere.

Run on a GPU machine:   python bench/gpu_exp2_cost.py [--usd-per-gpu-hour 2.5]
Check the arithmetic:   python bench/gpu_exp2_cost.py --dry-run --gen-tokens-per-s 8000 --train-s-per-seq 0.5
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from openrs.models.architectures import R1_DISTILL_QWEN_1P5B

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Exp2:
    """The paper's exp2 run: recipe, hardware and cost (PAPER.md)."""

    steps: int = 500
    num_generations: int = 6
    per_device_train_batch_size: int = 6
    training_gpus: int = 3
    gradient_accumulation_steps: int = 4
    max_completion_length: int = 3584
    temperature: float = 0.7
    beta: float = 0.04
    gpus: int = 4
    hours: float = 24.0
    usd: float = 42.0

    @property
    def completions_per_step(self) -> int:
        """Completions generated and trained on per optimiser step (6 x 3 x 4 = 72)."""
        return self.per_device_train_batch_size * self.training_gpus * self.gradient_accumulation_steps

    @property
    def usd_per_gpu_hour(self) -> float:
        """The paper's implied A40 price ($42 / 96 GPU-hours)."""
        return self.usd / (self.gpus * self.hours)


EXP2 = Exp2()


@dataclass
class Measured:
    """What the GPU phases measure."""

    gen_tokens_per_s: float  # generated tokens per second for one exp2 generation batch
    train_s_per_seq: float  # policy forward + backward and reference forward, per sequence
    optim_step_s: float = 0.0  # one AdamW step over all parameters


def project(m: Measured, completion_tokens: int, usd_per_gpu_hour: float, exp: Exp2 = EXP2) -> dict:
    """Hours, GPU-hours and $ of exp2's steps on one GPU and on the paper's 1 + 3 GPU layout."""
    n = exp.completions_per_step
    gen_s = n * completion_tokens / m.gen_tokens_per_s
    one_gpu_step = gen_s + n * m.train_s_per_seq + m.optim_step_s
    # TRL's server mode: the vLLM GPU generates all n, then each training GPU trains its n / 3.
    layout_step = gen_s + n / exp.training_gpus * m.train_s_per_seq + m.optim_step_s
    rows = {}
    for name, step_s, gpus in (
        ("1 GPU (colocated)", one_gpu_step, 1),
        ("paper layout (1 vLLM + 3 train)", layout_step, exp.gpus),
    ):
        hours = step_s * exp.steps / 3600
        rows[name] = {
            "step_s": step_s,
            "hours": hours,
            "gpu_hours": hours * gpus,
            "usd": hours * gpus * usd_per_gpu_hour,
            "usd_at_paper_rate": hours * gpus * exp.usd_per_gpu_hour,
            "vs_paper_gpu_hours": hours * gpus / (exp.hours * exp.gpus),
        }
    return {"generation_s_per_step": gen_s, "completions_per_step": n, "rows": rows}


def model_config(attn_implementation: str | None = None):
    """The architecture as a transformers Qwen2Config in bf16."""
    from transformers import Qwen2Config

    config = Qwen2Config(**R1_DISTILL_QWEN_1P5B)
    config.dtype = "bfloat16"
    config.use_cache = False
    if attn_implementation:
        config._attn_implementation = attn_implementation
    return config


def parameter_count() -> int:
    """Parameters of the architecture, counted on the meta device (no memory, no GPU)."""
    import torch
    from transformers import Qwen2ForCausalLM

    with torch.device("meta"):
        return Qwen2ForCausalLM(model_config()).num_parameters()


def attention_impl() -> str:
    """flash_attention_2 when flash-attn is installed, else PyTorch SDPA."""
    return "flash_attention_2" if importlib.util.find_spec("flash_attn") else "sdpa"


def build_model(device: str = "cuda"):
    """The random bf16 model on `device`."""
    import torch
    from transformers import Qwen2ForCausalLM

    torch.manual_seed(0)
    with torch.device(device):
        return Qwen2ForCausalLM._from_config(
            model_config(), dtype=torch.bfloat16, attn_implementation=attention_impl()
        )


# ---------------------------------------------------------------- phases (each in its own process)
def phase_save(args) -> dict:
    """Save the random model for vLLM to load."""
    model = build_model()  # random init on the GPU: seconds, where the CPU takes minutes
    model.save_pretrained(args.model_dir)
    return {"model_dir": args.model_dir, "parameters": model.num_parameters()}


def random_prompts(count: int, length: int, seed: int = 0) -> list[list[int]]:
    """Token-id prompts drawn from ordinary (non-special) vocabulary ids."""
    import random

    rng = random.Random(seed)
    return [[rng.randrange(1000, 150000) for _ in range(length)] for _ in range(count)]


def phase_generate(args) -> dict:
    """Tokens/s of one exp2 generation batch, vLLM when installed, else transformers `generate`."""
    prompts = random_prompts(EXP2.completions_per_step // EXP2.num_generations, args.prompt_tokens)
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

        model = build_model().eval()
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

    policy = build_model()
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


# ---------------------------------------------------------------- orchestration and report
def run_phase(name: str, args, work: Path) -> tuple[dict, str]:
    """Run one phase in a fresh process; its JSON result and command line."""
    out = work / f"{name}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", name, "--phase-out", str(out),
           "--model-dir", args.model_dir, "--prompt-tokens", str(args.prompt_tokens),
           "--completion-tokens", str(args.completion_tokens), "--micro-batch", str(args.micro_batch),
           "--train-iters", str(args.train_iters),
           "--vllm-gpu-memory-utilization", str(args.vllm_gpu_memory_utilization)]  # fmt: skip
    print(f"$ {shlex.join(cmd)}", flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)
    return json.loads(out.read_text()), shlex.join(cmd)


def environment() -> dict:
    """Device and package versions."""
    import torch

    versions = {}
    for pkg in ("torch", "transformers", "trl", "vllm", "flash-attn", "accelerate"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device"
    return {"device": device, "cuda": torch.version.cuda, "python": platform.python_version(), **versions}


def render(measured: Measured, projection: dict, args, env: dict, details: dict, commands: list[str]) -> str:
    """The results file."""
    p, rows = projection, projection["rows"]
    train_detail = (
        f"; micro-batch {details['micro_batch']}, {details['attention']}, peak {details['peak_memory_gib']:.1f} GiB"
        if "micro_batch" in details
        else "; given"
    )
    lines = [
        "# GPU: exp2 step time and cost, DeepSeek-R1-Distill-Qwen-1.5B architecture (random weights)",
        "",
        f"Command: `{shlex.join(['python', *sys.argv])}`; {time.strftime('%Y-%m-%d %H:%M')}; "
        + ", ".join(f"{k} {v}" for k, v in env.items())
        + f"; {details.get('parameters', parameter_count()) / 1e9:.2f}B parameters.",
        "",
        f"- Generation: {measured.gen_tokens_per_s:,.0f} tokens/s for {p['completions_per_step']} completions of "
        f"{args.completion_tokens} tokens after {args.prompt_tokens}-token prompts ({details.get('engine', 'given')}).",
        f"- Training: {measured.train_s_per_seq:.3f} s per sequence (policy forward + backward with gradient "
        f"checkpointing, reference forward{train_detail}), AdamW step {measured.optim_step_s:.2f} s.",
        f"- Per exp2 step: generation {p['generation_s_per_step']:.0f} s on one GPU.",
        "",
        f"| exp2, {EXP2.steps} steps | s / step | hours | GPU-hours | $ at ${args.usd_per_gpu_hour:.2f}/GPU-h "
        f"| $ at the paper's ${EXP2.usd_per_gpu_hour:.3f}/GPU-h | GPU-hours vs paper |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {name} | {r['step_s']:.0f} | {r['hours']:.1f} | {r['gpu_hours']:.1f} | {r['usd']:.0f} "
            f"| {r['usd_at_paper_rate']:.0f} | {r['vs_paper_gpu_hours']:.2f}x |"
            for name, r in rows.items()
        ),
        f"| paper (4x A40) | {EXP2.hours * 3600 / EXP2.steps:.0f} | {EXP2.hours:.0f} | {EXP2.hours * EXP2.gpus:.0f} "
        f"| | {EXP2.usd:.0f} | 1.00x |",
        "",
        "Upper bound: every completion is taken at the full length; vLLM weight syncs, ZeRO-2 communication and "
        "reward time are not counted.",
    ]
    if commands:
        lines += ["", "Phase command lines:", "", *(f"    {c}" for c in commands)]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
        "--out", help="results file (default bench/gpu_exp2_cost_results.md; --dry-run prints only)"
    )
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--phase-out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    """Measure on the GPU (or take the given timings with --dry-run), project, write the results."""
    args = parse_args()
    if args.phase:
        Path(args.phase_out).write_text(json.dumps(PHASES[args.phase](args)))
        return
    if args.dry_run:
        if args.gen_tokens_per_s is None or args.train_s_per_seq is None:
            sys.exit("--dry-run needs --gen-tokens-per-s and --train-s-per-seq")
        measured = Measured(args.gen_tokens_per_s, args.train_s_per_seq, args.optim_step_s)
        details, commands = {"parameters": parameter_count()}, []
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
    projection = project(measured, args.completion_tokens, args.usd_per_gpu_hour)
    text = render(measured, projection, args, environment(), details, commands)
    out = args.out or (None if args.dry_run else str(ROOT / "bench" / "gpu_exp2_cost_results.md"))
    if out:
        Path(out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
