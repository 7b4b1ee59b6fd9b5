"""Benchmark: the tiny experiment through `python -m openrs.train` against a bare TRL script.

Both sides train the same tiny Qwen2 (the `init_model` an openrs run saves), on the same prompt rows
(exported from openrs's data pipeline), with the same reward functions (openrs.rewards), the same
GRPOConfig values, seed and number of steps; the script checks all of this before timing (and that both
sides log the same per-step metrics afterwards). Runs alternate between the two sides (ABBA order) so
that load from other processes on a shared machine hits both alike.

Measured per run: `train_runtime` (TRL's own timer around the training loop, the same code on both
sides) and the whole process's wall time (interpreter start to exit). The ratio openrs / bare of the
medians is the framework's overhead: Hydra composition, preflight, data pipeline, building and saving the
tiny model, the metrics callback and the run summary.

Run: `python bench/overhead.py [--runs 5] [--steps 20] [--out bench/overhead_results.md]`.
The bare side alone: `python bench/overhead.py bare --model-dir D --data F --output-dir O --steps N`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 42
# Per-step metrics that must agree between the two sides (same weights, prompts, seeds → same samples).
SAME_METRICS = ("num_tokens", "completions/mean_length", "reward", "loss", "learning_rate")


# ---------------------------------------------------------------- the bare TRL script
def bare_grpo_config(output_dir: str, max_steps: int):
    """The tiny experiment's GRPO settings, written out literally as a TRL user would."""
    from trl import GRPOConfig

    return GRPOConfig(
        output_dir=output_dir, seed=SEED, data_seed=SEED,
        optim="adamw_torch", learning_rate=1e-6, weight_decay=0.0, adam_beta1=0.9, adam_beta2=0.999,
        max_grad_norm=1.0, lr_scheduler_type="cosine_with_min_lr", lr_scheduler_kwargs={"min_lr_rate": 0.1},
        warmup_steps=0.1,
        num_generations=4, per_device_train_batch_size=8, gradient_accumulation_steps=1,
        max_completion_length=32, temperature=1.0, top_p=1.0, max_steps=max_steps, beta=0.04, epsilon=0.2,
        loss_type="grpo", scale_rewards="group", reward_weights=[1.0, 1.0],
        vllm_importance_sampling_correction=False,
        save_strategy="steps", save_steps=2, save_total_limit=None, logging_steps=1, log_completions=False,
        report_to="none", run_name="tiny",
        use_cpu=True, bf16=False, gradient_checkpointing=False, use_vllm=False,
        model_init_kwargs={"dtype": "float32"},
    )  # fmt: skip


def bare_dataset(data_file: str | Path):
    """The prompt rows from a jsonl file."""
    from datasets import Dataset

    return Dataset.from_list([json.loads(line) for line in Path(data_file).read_text().splitlines()])


def bare_main(args: argparse.Namespace) -> None:
    """TRL's GRPOTrainer on the saved tiny model: what a user writes without openrs."""
    from transformers import PreTrainedTokenizerFast
    from trl import GRPOTrainer

    from openrs.rewards import accuracy_reward, format_reward

    # Not AutoTokenizer: transformers 5 picks Qwen2Tokenizer from config.json's model_type, which
    # re-splits the tiny BPE differently; the saved file is a plain fast tokenizer, padded left.
    tokenizer = PreTrainedTokenizerFast.from_pretrained(args.model_dir, padding_side="left")
    trainer = GRPOTrainer(
        model=args.model_dir,
        reward_funcs=[accuracy_reward, format_reward],
        args=bare_grpo_config(args.output_dir, args.steps),
        train_dataset=bare_dataset(args.data),
        processing_class=tokenizer,
    )
    result = trainer.train()
    logs = [row for row in trainer.state.log_history if "loss" in row]
    out = {"train_runtime": result.metrics["train_runtime"], "logs": logs}
    (Path(args.output_dir) / "bare_result.json").write_text(json.dumps(out) + "\n")


# ---------------------------------------------------------------- the harness
def openrs_cmd(run_dir: Path, steps: int) -> list[str]:
    """The openrs command line for one run."""
    return [sys.executable, "-m", "openrs.train", f"hydra.run.dir={run_dir}", f"trainer.max_steps={steps}"]


def bare_cmd(run_dir: Path, model_dir: Path, data: Path, steps: int) -> list[str]:
    """The bare TRL command line for one run."""
    return [sys.executable, str(Path(__file__).resolve()), "bare", "--model-dir", str(model_dir),
            "--data", str(data), "--output-dir", str(run_dir), "--steps", str(steps)]  # fmt: skip


def timed_run(cmd: list[str], log_file: Path) -> float:
    """Run `cmd` from the repo root; its wall time in seconds (fails loudly on a non-zero exit)."""
    start = time.perf_counter()
    with log_file.open("w") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}); see {log_file}")
    return wall


def openrs_typed_config(steps: int):
    """openrs's TrainConfig for the tiny experiment, composed as the CLI does."""
    from hydra import compose, initialize_config_dir

    from openrs.config.store import to_typed
    from openrs.train import CONF_DIR

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return to_typed(compose("config", overrides=[f"trainer.max_steps={steps}"]))


def prepare(work: Path, steps: int) -> tuple[Path, Path, list[str]]:
    """Warm-up openrs run (its init_model is the bare side's model), export the rows, check equality."""
    from openrs.data import build_train_dataset
    from openrs.models import build_tokenizer
    from openrs.training.grpo_args import build_grpo_config

    warm = work / "warmup_openrs"
    timed_run(openrs_cmd(warm, 1), work / "warmup_openrs.log")
    model_dir = warm / "init_model"
    cfg = openrs_typed_config(steps)
    rows = build_train_dataset(cfg.dataset, build_tokenizer(cfg.model), cfg.seed).to_list()
    data = work / "rows.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    checks = [f"same {len(rows)} prompt rows (openrs's pipeline exported, read back identical)"]
    assert bare_dataset(data).to_list() == rows
    ours = build_grpo_config(cfg, "X", [1.0, 1.0]).to_dict()
    bare = bare_grpo_config("X", steps).to_dict()
    diff = sorted(k for k in ours.keys() | bare.keys() if ours.get(k) != bare.get(k))
    assert not diff, f"GRPOConfig differs in {diff}"
    checks.append(f"same GRPOConfig ({len(ours)} fields compared, all equal)")
    timed_run(bare_cmd(work / "warmup_bare", model_dir, data, 1), work / "warmup_bare.log")
    return model_dir, data, checks


def same_weights(a: Path, b: Path) -> bool:
    """Whether two saved models hold identical tensors."""
    from safetensors.torch import load_file

    ta, tb = load_file(a / "model.safetensors"), load_file(b / "model.safetensors")
    return ta.keys() == tb.keys() and all((ta[k] == tb[k]).all() for k in ta)


def step_metrics(rows: list[dict]) -> list[tuple]:
    """The per-step metrics both sides must agree on, rounded."""
    return [tuple(round(float(r.get(k, 0.0)), 5) for k in SAME_METRICS) for r in rows]


def measure(work: Path, runs: int, steps: int, model_dir: Path, data: Path) -> dict[str, list[dict]]:
    """Alternate openrs and bare runs in ABBA order; wall and train time of each."""
    results: dict[str, list[dict]] = {"openrs": [], "bare": []}
    for i in range(runs):
        order = ("openrs", "bare") if i % 2 == 0 else ("bare", "openrs")
        for side in order:
            run_dir = work / f"{side}_{i}"
            load = os.getloadavg()[0]
            if side == "openrs":
                wall = timed_run(openrs_cmd(run_dir, steps), work / f"{side}_{i}.log")
                summary = json.loads((run_dir / "summary.json").read_text())
                train = summary["train_metrics"]["train_runtime"]
                logs = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
            else:
                wall = timed_run(bare_cmd(run_dir, model_dir, data, steps), work / f"{side}_{i}.log")
                out = json.loads((run_dir / "bare_result.json").read_text())
                train, logs = out["train_runtime"], out["logs"]
            results[side].append({"wall": wall, "train": train, "load": load, "metrics": step_metrics(logs)})
            print(f"run {i} {side:6s}: process {wall:6.2f} s, training {train:6.2f} s, load {load:.1f}")
    return results


def summarise(results: dict[str, list[dict]]) -> dict[str, dict[str, float]]:
    """Median, min and max of each side's wall and train times, and the ratios of the medians."""
    stats = {}
    for side, rows in results.items():
        for key in ("wall", "train"):
            values = [r[key] for r in rows]
            stats[f"{side}_{key}"] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    for key in ("wall", "train"):
        stats[f"ratio_{key}"] = stats[f"openrs_{key}"]["median"] / stats[f"bare_{key}"]["median"]
    return stats


def render(stats: dict, results: dict, checks: list[str], args: argparse.Namespace) -> str:
    """The results file."""
    s = stats
    spread = "; ".join(
        f"{side} {key} {s[f'{side}_{key}']['min']:.2f}–{s[f'{side}_{key}']['max']:.2f} s"
        for side in ("openrs", "bare")
        for key in ("wall", "train")
    )
    loads = [r["load"] for rows in results.values() for r in rows]
    lines = [
        "# Overhead: `python -m openrs.train` vs a bare TRL script (tiny experiment)",
        "",
        f"Command: `python bench/overhead.py --runs {args.runs} --steps {args.steps}`; "
        f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.node()} ({os.cpu_count()} CPU cores, shared), "
        f"python {platform.python_version()}, torch {version('torch')}, transformers {version('transformers')}, "
        f"trl {version('trl')}. Tiny experiment with `trainer.max_steps={args.steps}`, "
        f"{args.runs} runs per side in ABBA order, after one warm-up run each.",
        "",
        "| | openrs (median) | bare TRL (median) | ratio openrs / bare |",
        "|---|---|---|---|",
        f"| training (`train_runtime`) | {s['openrs_train']['median']:.2f} s | {s['bare_train']['median']:.2f} s "
        f"| **{s['ratio_train']:.3f}** |",
        f"| whole process | {s['openrs_wall']['median']:.2f} s | {s['bare_wall']['median']:.2f} s "
        f"| **{s['ratio_wall']:.3f}** |",
        f"| outside training (process − training) | "
        f"{s['openrs_wall']['median'] - s['openrs_train']['median']:.2f} s | "
        f"{s['bare_wall']['median'] - s['bare_train']['median']:.2f} s | |",
        "",
        f"Spread (min–max): {spread}. 1-min load average during the runs {min(loads):.1f}–{max(loads):.1f}.",
        "",
        "Checked identical before timing: " + "; ".join(checks) + ".",
        "",
        "| run | side | process s | training s | load |",
        "|---|---|---|---|---|",
    ]
    for i in range(args.runs):
        for side in ("openrs", "bare"):
            r = results[side][i]
            lines.append(f"| {i} | {side} | {r['wall']:.2f} | {r['train']:.2f} | {r['load']:.1f} |")
    return "\n".join(lines) + "\n"


def harness_main(args: argparse.Namespace) -> None:
    """Prepare, check, measure, write the results file."""
    work = Path(args.work_dir)
    shutil.rmtree(work, ignore_errors=True)  # an existing openrs run dir would be resumed, not rerun
    work.mkdir(parents=True)
    model_dir, data, checks = prepare(work, args.steps)
    results = measure(work, args.runs, args.steps, model_dir, data)
    first_openrs = work / "openrs_0" / "init_model"
    assert same_weights(model_dir, first_openrs), "openrs runs built different tiny weights"
    checks.append("same initial weights (the warm-up run's init_model vs a timed run's, tensor by tensor)")
    bare_m, ours_m = results["bare"][0]["metrics"], results["openrs"][0]["metrics"]
    same = ours_m == bare_m
    checks.append(
        f"per-step {', '.join(SAME_METRICS)} {'identical' if same else 'DIFFERENT'} on both sides "
        f"({len(ours_m)} steps)"
    )
    stats = summarise(results)
    text = render(stats, results, checks, args)
    Path(args.out).write_text(text)
    print(text)


def main() -> None:
    """Harness by default; `bare` runs the bare TRL side once."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd")
    bare = sub.add_parser("bare", help="the bare TRL script, once")
    bare.add_argument("--model-dir", required=True)
    bare.add_argument("--data", required=True)
    bare.add_argument("--output-dir", required=True)
    bare.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--work-dir", default="/tmp/openrs_bench/overhead")
    parser.add_argument("--out", default=str(ROOT / "bench" / "overhead_results.md"))
    args = parser.parse_args()
    bare_main(args) if args.cmd == "bare" else harness_main(args)


if __name__ == "__main__":
    main()
