"""`device-run`: the one script for a lent GPU: what only a CUDA device shows, in one results file.

(a) `hardware=single_gpu` GRPO steps without vLLM (it cannot travel to the device machine) at the paper's
    per-device batch (6 completions per device, 4 accumulation steps, 6 generations) on the
    R1-Distill-Qwen-1.5B architecture with random weights, bf16, sdpa attention: seconds per step split into
    generation (transformers' generate) and the rest (scoring, forward/backward, optimizer), peak memory,
    generated tokens/s;
(b) the same under DeepSpeed ZeRO-2 on the one GPU, where deepspeed imports;
(c) `openrs.evaluate` with the transformers backend on a few problems;
then exp2's cost projection (bench/gpu/exp2_projection.py) recomputed from (a)'s figures.

A random model never emits EOS: every completion runs to --completion-length, the worst case per token.

Run (one CUDA GPU, repository root):  python -m bench.gpu device-run [--steps 3] [--completion-length 512]
Results: bench/gpu_device_results.md; run dirs under --out-dir.
Dry run (CPU, a 2-layer model, float32; results only under --out-dir):  python -m bench.gpu device-run --dry-run
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.gpu.exp2_projection import EXP2, Measured, project, render
from bench.gpu.random_model import REPO, SMOKE_SHAPE, environment, save_random_model
from bench.gpu.step_time import MEMORY_FILE
from openrs.run_dir import RunDir, read_metrics

log = logging.getLogger(__name__)

RESULTS = REPO / "bench" / "gpu_device_results.md"
COMPLETIONS_PER_STEP = 6 * 4  # per device x accumulation steps, one process


def train_overrides(model_dir: Path, run_dir: Path, args: argparse.Namespace, zero2: bool) -> list[str]:
    """`python -m openrs.train` overrides for phase (a), or (b) with `zero2`."""
    common = [
        f"hydra.run.dir={run_dir}",
        "~default_run",  # not the CPU micro reproduction: its held-out evaluation would run too
        "model=r1_distill_qwen_1p5b",
        f"model.name_or_path={model_dir}",
        "model.attn_implementation=sdpa",
        "dataset=tiny_math",
        "trainer=paper",  # the paper's loss and sampling; its batch below
        f"trainer.max_steps={args.steps}",
        f"trainer.save_steps={args.steps}",
        f"trainer.max_completion_length={args.completion_length}",
        "trainer.num_generations=6",  # the paper's batch, whatever the default run's trainer is
        "trainer.per_device_train_batch_size=6",
        "trainer.gradient_accumulation_steps=4",
        "+trainer.extra.save_only_model=true",  # the weights, not 2x their size in optimizer state
        "+callbacks.gpu_memory._target_=bench.gpu.step_time.GpuMemoryCallback",
        "experiment_name=bench_gpu_device",
    ]
    if args.dry_run:
        hardware = ["hardware=cpu_zero2", "hardware.num_training_processes=1"] if zero2 else ["hardware=cpu"]
        return common + hardware + ["model.dtype=float32"]
    return (
        common
        + ["hardware=single_gpu", "hardware.use_vllm=false"]
        + (["hardware.deepspeed=zero2"] if zero2 else [])
    )


def evaluate_overrides(model_dir: Path, run_dir: Path, args: argparse.Namespace) -> list[str]:
    """`python -m openrs.evaluate` overrides for phase (c): a few problems per benchmark, transformers."""
    return [
        f"hydra.run.dir={run_dir}",
        f"model_path={model_dir}",
        "eval=smoke",
        f"eval.limit={args.eval_problems}",
        f"eval.sampling.max_new_tokens={args.completion_length}",
        "backend.name=transformers",
        *(["backend.dtype=float32", "backend.device=cpu"] if args.dry_run else []),
    ]


def run_phase(module: str, overrides: list[str], log_path: Path) -> tuple[float, int, str]:
    """Run `python -m <module> <overrides>`; its wall seconds, exit code and command line."""
    command = [sys.executable, "-m", module, *overrides]
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline")
    log.info("running %s (log: %s)", shlex.join(command[1:3]), log_path)
    began = time.monotonic()
    with log_path.open("w") as out:
        code = subprocess.run(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    return time.monotonic() - began, code, shlex.join(["python", *command[1:]])


def step_figures(run_dir: Path) -> dict:
    """Per-step medians (steps 2.. when there are several: step 1 warms up) of a training phase."""
    rows = read_metrics(RunDir(run_dir).metrics)
    phases = {row["step"]: row for row in read_metrics(run_dir / MEMORY_FILE)}
    steps = []
    for row in rows:
        gen_s = phases.get(row["step"], {}).get("generation_s", float("nan"))
        tokens = row.get("completions/mean_length", 0.0) * COMPLETIONS_PER_STEP
        steps.append(
            {"step": row["step"], "step_s": row["step_time"], "generation_s": gen_s, "tokens": tokens}
        )
    timed = steps[1:] or steps
    figures = {key: statistics.median(s[key] for s in timed) for key in ("step_s", "generation_s", "tokens")}
    figures["other_s"] = figures["step_s"] - figures["generation_s"]
    figures["gen_tokens_per_s"] = figures["tokens"] / figures["generation_s"]
    peaks = [p["peak_allocated_gib"] for p in phases.values() if "peak_allocated_gib" in p]
    figures["peak_allocated_gib"] = max(peaks) if peaks else None
    figures["steps"] = steps
    return figures


def phase_lines(name: str, wall_s: float, code: int, command: str, figures: dict | None) -> list[str]:
    """The results file's section for one training phase."""
    lines = [f"## {name}", "", f"    {command}", "", f"Exit code {code}; whole command {wall_s:.0f} s."]
    if figures is None:
        return [*lines, ""]
    peak = figures["peak_allocated_gib"]
    lines += [
        "",
        "| step | s/step | generation s | other s (scoring, forward/backward, optimizer) | generated tokens |",
        "|---|---|---|---|---|",
        *(
            f"| {s['step']} | {s['step_s']:.2f} | {s['generation_s']:.2f} | {s['step_s'] - s['generation_s']:.2f} "
            f"| {s['tokens']:.0f} |"
            for s in figures["steps"]
        ),
        "",
        f"Median (steps 2..): **{figures['step_s']:.2f} s/step** = generation {figures['generation_s']:.2f} s + "
        f"other {figures['other_s']:.2f} s; **{figures['gen_tokens_per_s']:,.0f} generated tokens/s**; "
        f"peak allocated **{'n/a (CPU)' if peak is None else f'{peak:.1f} GiB'}**.",
        "",
    ]
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's options."""
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--completion-length", type=int, default=512)
    parser.add_argument("--eval-problems", type=int, default=4, help="problems per benchmark in phase (c)")
    parser.add_argument("--skip-zero2", action="store_true", help="leave out phase (b)")
    parser.add_argument("--usd-per-gpu-hour", type=float, default=2.5, help="price of the measured GPU")
    parser.add_argument(
        "--dry-run", action="store_true", help="on CPU with a 2-layer model; nothing in bench/"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=REPO / "outputs" / "bench_gpu_device" / time.strftime("%Y%m%d-%H%M%S")
    )


def run(args: argparse.Namespace) -> None:
    """Phases (a), (b), (c), then the projection; the results file is rewritten after each phase."""
    import torch

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.dry_run and not torch.cuda.is_available():
        sys.exit("device-run needs a CUDA GPU; --dry-run checks the plumbing on CPU")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    results = args.out_dir / "results.md" if args.dry_run else RESULTS
    model_dir = args.out_dir / "model"
    params = save_random_model(
        model_dir, device="cpu" if args.dry_run else "cuda", dtype="float32" if args.dry_run else "bfloat16",
        seed=42, with_tokenizer=True, **(SMOKE_SHAPE if args.dry_run else {}),
    )  # fmt: skip
    env = environment()
    lines = [
        "# A lent GPU: GRPO steps, ZeRO-2 and evaluation on the R1-Distill-Qwen-1.5B architecture (random weights)",
        "",
        f"- device: {'CPU (dry run, 2-layer model)' if args.dry_run else env['device']}; {time.strftime('%Y-%m-%d %H:%M')}",
        f"- packages: {', '.join(f'{k} {v}' for k, v in env.items() if v and k not in ('device', 'host'))}",
        f"- {params / 1e9:.3f} B parameters; {args.steps} steps of {COMPLETIONS_PER_STEP} completions of "
        f"{args.completion_length} tokens; command `python -m bench.gpu device-run {shlex.join(sys.argv[2:])}`",
        "",
    ]
    phases = [("(a) hardware=single_gpu, no vLLM", "single_gpu", False)]
    if not args.skip_zero2:
        phases.append(("(b) the same under DeepSpeed ZeRO-2 on one GPU", "zero2", True))
    figures_a = None
    for title, name, zero2 in phases:
        if zero2 and importlib.util.find_spec("deepspeed") is None:
            lines += [f"## {title}", "", "Not run: deepspeed is not installed here.", ""]
            continue
        run_dir = args.out_dir / name
        wall, code, command = run_phase(
            "openrs.train", train_overrides(model_dir, run_dir, args, zero2), args.out_dir / f"{name}.log"
        )
        figures = step_figures(run_dir) if code == 0 else None
        figures_a = figures_a or (figures if not zero2 else None)
        lines += phase_lines(title, wall, code, command, figures)
        results.write_text("\n".join(lines) + "\n")
    wall, code, command = run_phase(
        "openrs.evaluate",
        evaluate_overrides(model_dir, args.out_dir / "eval", args),
        args.out_dir / "eval.log",
    )
    lines += [
        "## (c) openrs.evaluate, transformers backend",
        "",
        f"    {command}",
        "",
        f"Exit code {code}; {wall:.0f} s.",
        "",
    ]
    if figures_a is not None:
        measured = Measured(figures_a["gen_tokens_per_s"], figures_a["other_s"] / COMPLETIONS_PER_STEP)
        projection_args = argparse.Namespace(
            completion_tokens=args.completion_length,
            prompt_tokens=256,
            usd_per_gpu_hour=args.usd_per_gpu_hour,
        )
        projection = project(measured, args.completion_length, args.usd_per_gpu_hour)
        details = {"parameters": params, "engine": "transformers generate, not vLLM: an upper bound"}
        lines += [
            "## exp2 projection from (a)",
            "",
            render(measured, projection, projection_args, {}, details, []),
        ]
        lines.append(f"(exp2 composes to {EXP2.steps} steps of {EXP2.completions_per_step} completions.)")
    results.write_text("\n".join(lines) + "\n")
    log.info("wrote %s", results)
    print(results.read_text())
