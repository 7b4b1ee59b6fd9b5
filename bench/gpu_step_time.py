"""Benchmark: GRPO step time and peak GPU memory of `hardware=single_gpu` (vLLM colocated) on the exact
DeepSeek-R1-Distill-Qwen-1.5B architecture, randomly initialised so that no Hub access is needed.

What runs is `python -m openrs.train` itself: the paper's trainer settings (6 generations, 6 per device,
4 accumulation steps, 3584-token completions), the built-in arithmetic problems, bf16, vLLM colocated at
`hardware.vllm_gpu_memory_utilization`. A random model never emits EOS, so every completion runs to the
length limit: the worst case for both generation and the backward pass. Measured per step: TRL's
`step_time`, and the peak memory PyTorch allocated and reserved in the process (vLLM colocated allocates
through PyTorch too) plus the device's used memory, from a callback added with `callbacks=`.

Run (one CUDA GPU, `pip install -e '.[gpu]'`):   python bench/gpu_step_time.py [--steps 5]
Results: bench/gpu_step_time_results.md; the run dir is under outputs/bench_gpu/.
Plumbing check without a GPU (a 2-layer model of the same vocabulary, on CPU, nothing written to bench/):
    python bench/gpu_step_time.py --cpu-smoke
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from transformers import TrainerCallback

from openrs.models.architectures import R1_DISTILL_QWEN_1P5B

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "gpu_step_time_results.md"
MEMORY_FILE = "gpu_memory.jsonl"

SMOKE_SHAPE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4)


class GpuMemoryCallback(TrainerCallback):
    """Appends each step's peak PyTorch memory and the device's used memory to gpu_memory.jsonl."""

    def __init__(self, run_dir: str):
        self.path = Path(run_dir) / MEMORY_FILE

    def on_step_end(self, args, state, control, **kwargs):
        import torch

        if not state.is_world_process_zero or not torch.cuda.is_available():
            return
        free, total = torch.cuda.mem_get_info()
        row = {
            "step": state.global_step,
            "peak_allocated_gib": torch.cuda.max_memory_allocated() / 2**30,
            "peak_reserved_gib": torch.cuda.max_memory_reserved() / 2**30,
            "device_used_gib": (total - free) / 2**30,
            "device_total_gib": total / 2**30,
        }
        torch.cuda.reset_peak_memory_stats()
        with self.path.open("a") as fh:
            fh.write(json.dumps(row) + "\n")


def build_random_model(model_dir: Path, smoke: bool, seed: int = 42) -> int:
    """Save a randomly initialised Qwen2 of the R1-Distill-1.5B architecture and a tokenizer covering its
    vocabulary (openrs's tiny BPE tokenizer padded with unreachable tokens) to `model_dir`."""
    import torch
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    from openrs.models.tiny import SPECIAL_TOKENS, build_tiny_tokenizer

    shape = dict(R1_DISTILL_QWEN_1P5B, **(SMOKE_SHAPE if smoke else {}))
    tokenizer = build_tiny_tokenizer(512)
    # Pad the BPE vocabulary to the model's: random weights sample any id, and vLLM must decode it.
    backend = json.loads(tokenizer.backend_tokenizer.to_str())
    vocab = backend["model"]["vocab"]
    taken = set(vocab) | {t["content"] for t in backend["added_tokens"]}
    next_id = max([*vocab.values(), *(t["id"] for t in backend["added_tokens"])]) + 1
    filler = (f"pad{i}" for i in range(10**7))
    while next_id < shape["vocab_size"]:
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
    assert len(padded) == shape["vocab_size"], (len(padded), shape["vocab_size"])

    config = Qwen2Config(
        **shape, eos_token_id=padded.eos_token_id, pad_token_id=padded.pad_token_id, bos_token_id=None
    )
    device = "cuda" if torch.cuda.is_available() and not smoke else "cpu"
    torch.manual_seed(seed)
    with torch.device(device):
        model = Qwen2ForCausalLM(config).to(torch.float32 if smoke else torch.bfloat16)
    model.generation_config.eos_token_id = padded.eos_token_id
    model.save_pretrained(model_dir)
    padded.save_pretrained(model_dir)
    return model.num_parameters()


def train_overrides(
    model_dir: Path, run_dir: Path, steps: int, completion_length: int, smoke: bool
) -> list[str]:
    """`python -m openrs.train` overrides: the paper's trainer on one GPU with the random model."""
    import importlib.util

    common = [
        f"hydra.run.dir={run_dir}",
        "model=r1_distill_qwen_1p5b",
        f"model.name_or_path={model_dir}",
        "dataset=tiny_math",
        f"trainer.max_steps={steps}",
        f"trainer.save_steps={steps}",
        "+trainer.extra.save_only_model=true",  # the weights, not 2x their size in optimizer state
        "+callbacks.gpu_memory._target_=bench.gpu_step_time.GpuMemoryCallback",
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
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    memory_path = run_dir / MEMORY_FILE
    memory = (
        [json.loads(line) for line in memory_path.read_text().splitlines()] if memory_path.exists() else []
    )
    config = json.loads((run_dir / "summary.json").read_text())
    timed = [row["step_time"] for row in rows[1:]] or [row["step_time"] for row in rows]  # step 1 warms up
    device = "CPU (smoke)" if smoke else _gpu_name()
    lines = [
        "# GRPO step time and peak memory: `hardware=single_gpu`, R1-Distill-Qwen-1.5B architecture (random init)",
        "",
        f"- device: {device}; host {platform.node()}; {time.strftime('%Y-%m-%d %H:%M')}",
        f"- packages: {', '.join(f'{k} {v}' for k, v in config['packages'].items() if v)}",
        f"- parameters: {params / 1e9:.3f} B; steps: {len(rows)}; whole run {wall_s:.0f} s",
        "",
        "| step | step time (s) | completion mean length | peak allocated (GiB) | peak reserved (GiB) | device used (GiB) |",
        "|---|---|---|---|---|---|",
    ]
    by_step = {m["step"]: m for m in memory}
    for row in rows:
        mem = by_step.get(row["step"], {})
        lines.append(
            f"| {row['step']} | {row['step_time']:.2f} | {row.get('completions/mean_length', 0):.0f} | "
            f"{mem.get('peak_allocated_gib', float('nan')):.1f} | {mem.get('peak_reserved_gib', float('nan')):.1f} | "
            f"{mem.get('device_used_gib', float('nan')):.1f} |"
        )
    lines += ["", f"Median step time (steps 2..): **{statistics.median(timed):.2f} s**"]
    if memory:
        lines.append(
            f"Peak allocated over the run: **{max(m['peak_allocated_gib'] for m in memory):.1f} GiB**"
        )
    return "\n".join(lines) + "\n"


def _gpu_name() -> str:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--completion-length", type=int, default=3584)
    parser.add_argument(
        "--cpu-smoke", action="store_true", help="check the plumbing on CPU with a 2-layer model"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=REPO / "outputs" / "bench_gpu" / time.strftime("%Y%m%d-%H%M%S")
    )
    args = parser.parse_args()

    model_dir, run_dir = args.out_dir / "model", args.out_dir / "run"
    params = build_random_model(model_dir, args.cpu_smoke)
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


if __name__ == "__main__":
    main()
