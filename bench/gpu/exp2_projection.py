"""exp2's recipe and the projection of measured speeds to its hours, GPU-hours and $, as a results file."""

from __future__ import annotations

import shlex
import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Exp2:
    """The paper's exp2 run: the recipe as openrs composes it, and the paper's hardware and cost (PAPER.md)."""

    steps: int
    num_generations: int
    per_device_train_batch_size: int
    training_gpus: int
    gradient_accumulation_steps: int
    max_completion_length: int
    temperature: float
    beta: float
    gpus: int
    hours: float = 24.0  # the paper's run on 4x A40
    usd: float = 42.0

    @property
    def completions_per_step(self) -> int:
        """Completions generated and trained on per optimiser step (6 x 3 x 4 = 72)."""
        return self.per_device_train_batch_size * self.training_gpus * self.gradient_accumulation_steps

    @property
    def usd_per_gpu_hour(self) -> float:
        """The paper's implied A40 price ($42 / 96 GPU-hours)."""
        return self.usd / (self.gpus * self.hours)


def composed_exp2() -> Exp2:
    """exp2's recipe from `+experiment=exp2` as openrs composes it: conf/ is the one place it is written."""
    from openrs.config.store import compose_config, to_typed

    cfg = to_typed(compose_config(["+experiment=exp2"]))
    trainer, hardware = cfg.trainer, cfg.hardware
    return Exp2(
        steps=trainer.max_steps, num_generations=trainer.num_generations,
        per_device_train_batch_size=trainer.per_device_train_batch_size,
        training_gpus=hardware.num_training_processes,
        gradient_accumulation_steps=trainer.gradient_accumulation_steps,
        max_completion_length=trainer.max_completion_length, temperature=trainer.temperature,
        beta=trainer.beta, gpus=hardware.num_gpus,
    )  # fmt: skip


EXP2 = composed_exp2()


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
        f"Command: `{shlex.join(['python', '-m', 'bench.gpu', *sys.argv[1:]])}`; {time.strftime('%Y-%m-%d %H:%M')}; "
        + ", ".join(f"{k} {v}" for k, v in env.items())
        + f"; {details['parameters'] / 1e9:.2f}B parameters.",
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
