"""`step-time`: GRPO step time and peak GPU memory of `hardware=single_gpu` on the R1-Distill-1.5B architecture.

What runs is `python -m openrs.train` itself: the paper's trainer settings (6 generations, 6 per device,
4 accumulation steps, 3584-token completions), the built-in arithmetic problems, bf16, vLLM colocated at
`hardware.vllm_gpu_memory_utilization`. A random model never emits EOS, so every completion runs to the
length limit: the worst case for both generation and the backward pass. Measured per step: TRL's
`step_time`, and the peak memory PyTorch allocated and reserved in the process (vLLM colocated allocates
through PyTorch too) plus the device's used memory, from a callback added with `callbacks=`.

Run (one CUDA GPU):   python -m bench.gpu step-time [--steps 5]
Results: bench/gpu_step_time_results.md; the run dir is under outputs/bench_gpu/.
Plumbing check without a GPU (a 2-layer model of the same vocabulary, on CPU, nothing written to bench/):
    python -m bench.gpu step-time --cpu-smoke
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from transformers import TrainerCallback

from bench.gpu.random_model import REPO, SMOKE_SHAPE, environment, save_random_model
from openrs.run_dir import RunDir, read_metrics

RESULTS = REPO / "bench" / "gpu_step_time_results.md"
MEMORY_FILE = "gpu_memory.jsonl"


class GpuMemoryCallback(TrainerCallback):
    """Appends each step's generation seconds, peak PyTorch memory and the device's used memory to
    gpu_memory.jsonl (memory on CUDA only). Generation is timed around the trainer's `_generate` (TRL 1.16:
    the completions of one generation batch, by vLLM or transformers), wrapped on this trainer alone."""

    def __init__(self, run_dir: str):
        self.path = Path(run_dir) / MEMORY_FILE
        self.generation_s = 0.0

    def attach(self, trainer) -> None:
        """Time `trainer._generate` (openrs's build_trainer calls this for every callback that has it)."""
        generate = trainer._generate

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return generate(*args, **kwargs)
            finally:
                self.generation_s += time.perf_counter() - began

        trainer._generate = timed

    def on_step_end(self, args, state, control, **kwargs):
        import torch

        if not state.is_world_process_zero:
            return
        row = {"step": state.global_step, "generation_s": self.generation_s}
        self.generation_s = 0.0
        if torch.cuda.is_available():
            free, total = torch.cuda.mem_get_info()
            row.update(
                peak_allocated_gib=torch.cuda.max_memory_allocated() / 2**30,
                peak_reserved_gib=torch.cuda.max_memory_reserved() / 2**30,
                device_used_gib=(total - free) / 2**30,
                device_total_gib=total / 2**30,
            )
            torch.cuda.reset_peak_memory_stats()
        with self.path.open("a") as fh:
            fh.write(json.dumps(row) + "\n")


def train_overrides(
    model_dir: Path, run_dir: Path, steps: int, completion_length: int, smoke: bool
) -> list[str]:
    """`python -m openrs.train` overrides: the paper's trainer on one GPU with the random model."""
    common = [
        f"hydra.run.dir={run_dir}",
        "~default_run",  # not the CPU micro reproduction: its held-out evaluation would run too
        "model=r1_distill_qwen_1p5b",
        f"model.name_or_path={model_dir}",
        "dataset=tiny_math",
        f"trainer.max_steps={steps}",
        f"trainer.save_steps={steps}",
        "+trainer.extra.save_only_model=true",  # the weights, not 2x their size in optimizer state
        f"+callbacks.gpu_memory._target_={__name__}.GpuMemoryCallback",
        "experiment_name=bench_gpu_step_time",
    ]
    if smoke:
        return common + [
            "hardware=cpu",
            "model.dtype=float32",
            "model.attn_implementation=sdpa",
            "trainer=tiny",
        ]
    flash = importlib.util.find_spec("flash_attn") is not None
    return common + [
        "hardware=single_gpu",
        "trainer=paper",
        f"trainer.max_completion_length={completion_length}",
        f"model.attn_implementation={'flash_attention_2' if flash else 'sdpa'}",
    ]


def summarise(run_dir: Path, params: int, wall_s: float, smoke: bool) -> str:
    """A markdown report of the run's per-step time and memory."""
    rows = read_metrics(RunDir(run_dir).metrics)
    memory = read_metrics(run_dir / MEMORY_FILE)  # the same one-object-a-line format
    env = environment()
    timed = [row["step_time"] for row in rows[1:]] or [row["step_time"] for row in rows]  # step 1 warms up
    device = "CPU (smoke)" if smoke else env["device"]
    env = {k: v for k, v in env.items() if k not in ("device", "host")}
    lines = [
        "# GRPO step time and peak memory: `hardware=single_gpu`, R1-Distill-Qwen-1.5B architecture (random init)",
        "",
        f"- device: {device}; host {platform.node()}; {time.strftime('%Y-%m-%d %H:%M')}",
        f"- packages: {', '.join(f'{k} {v}' for k, v in env.items() if v)}",
        f"- parameters: {params / 1e9:.3f} B; steps: {len(rows)}; whole run {wall_s:.0f} s",
        "",
        "| step | step time (s) | generation (s) | completion mean length | peak allocated (GiB) "
        "| peak reserved (GiB) | device used (GiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    by_step = {m["step"]: m for m in memory}
    for row in rows:
        mem = by_step.get(row["step"], {})
        lines.append(
            f"| {row['step']} | {row['step_time']:.2f} | {mem.get('generation_s', float('nan')):.2f} | "
            f"{row.get('completions/mean_length', 0):.0f} | "
            f"{mem.get('peak_allocated_gib', float('nan')):.1f} | {mem.get('peak_reserved_gib', float('nan')):.1f} | "
            f"{mem.get('device_used_gib', float('nan')):.1f} |"
        )
    lines += ["", f"Median step time (steps 2..): **{statistics.median(timed):.2f} s**"]
    peaks = [m["peak_allocated_gib"] for m in memory if "peak_allocated_gib" in m]  # CUDA only
    if peaks:
        lines.append(f"Peak allocated over the run: **{max(peaks):.1f} GiB**")
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's options."""
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--completion-length", type=int, default=3584)
    parser.add_argument(
        "--cpu-smoke", action="store_true", help="check the plumbing on CPU with a 2-layer model"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=REPO / "outputs" / "bench_gpu" / time.strftime("%Y%m%d-%H%M%S")
    )


def run(args: argparse.Namespace) -> None:
    """Save the random model, train it with `python -m openrs.train`, write the report."""
    import torch

    model_dir, run_dir = args.out_dir / "model", args.out_dir / "run"
    on_gpu = torch.cuda.is_available() and not args.cpu_smoke
    params = save_random_model(
        model_dir, device="cuda" if on_gpu else "cpu", dtype="float32" if args.cpu_smoke else "bfloat16",
        seed=42, with_tokenizer=True, **(SMOKE_SHAPE if args.cpu_smoke else {}),
    )  # fmt: skip
    print(f"random model: {params / 1e9:.3f} B parameters in {model_dir}")
    command = [sys.executable, "-m", "openrs.train"]
    command += train_overrides(model_dir, run_dir, args.steps, args.completion_length, args.cpu_smoke)
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline")
    start = time.time()
    subprocess.run(command, cwd=REPO, env=env, check=True)
    report = summarise(run_dir, params, time.time() - start, args.cpu_smoke)
    print(report)
    if not args.cpu_smoke:
        RESULTS.write_text(report)
        print(f"wrote {RESULTS}")
