"""Benchmark: the tiny experiment through `python -m openrs.train` against a bare TRL script.

Both sides train the same tiny Qwen2 (the `init_model` an openrs run saves), on the same prompt rows
(exported from openrs's data pipeline), with the same reward functions (openrs.rewards), the same
GRPOConfig values, seed and number of steps; the script checks all of this before timing (and that both
sides log the same per-step metrics afterwards). Runs alternate between the two sides (ABBA order) so
that load from other processes on a shared machine hits both alike.

Measured per run: `train_runtime` (TRL's own timer around the training loop, the same code on both
sides) and the loop's CPU time (a callback added to both sides), the whole process's wall time
(interpreter start to exit) and its CPU time (user + system, child processes included). CPU times are
much less sensitive than wall times to other work on a shared machine. The ratio
openrs / bare of the medians is the framework's overhead: Hydra composition, preflight, the data pipeline,
building and saving the tiny model, the metrics callback and the run summary; the median of the ratios of
back-to-back pairs is reported beside it, as it cancels slow drifts in the machine's load.
Both sides run torch with one CPU thread by default (`--threads`): on a small machine shared with other
jobs, two OpenMP threads spin-wait for each other and make the same run's times swing several-fold.

Run: `python bench/overhead.py [--runs 7] [--steps 100] [--threads 1] [--out bench/overhead_results.md]`.
The bare side alone: `python bench/overhead.py bare --model-dir D --data F --output-dir O --steps N`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

from openrs.run_dir import RunDir, read_metrics

ROOT = Path(__file__).resolve().parents[1]
SEED = 42
# Per-step metrics that must agree between the two sides (same weights, prompts, seeds → same samples).
CPU_FILE = "train_cpu.json"
SAME_METRICS = ("num_tokens", "completions/mean_length", "reward", "loss", "learning_rate")


# ---------------------------------------------------------------- a probe on both sides
def train_cpu_timer(run_dir: str):
    """A TrainerCallback writing the training loop's CPU time (this process, all threads) to the run dir.

    Added to both sides (to openrs with `+callbacks.cpu={_target_: bench.overhead.train_cpu_timer}`).
    """
    from transformers import TrainerCallback

    class TrainCpuTimer(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            self.start = time.process_time()

        def on_train_end(self, args, state, control, **kwargs):
            seconds = time.process_time() - self.start
            (Path(run_dir) / CPU_FILE).write_text(json.dumps({"train_cpu_s": seconds}))

    return TrainCpuTimer()


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
        loss_type="dapo", scale_rewards="group", reward_weights=[1.0, 1.0],
        vllm_importance_sampling_correction=False,
        save_strategy="steps", save_steps=2, save_total_limit=None, logging_steps=1, log_completions=False,
        report_to="none", run_name="tiny",
        use_cpu=True, bf16=False, gradient_checkpointing=False, use_vllm=False,
        ddp_find_unused_parameters=False, dataloader_num_workers=0, dataloader_pin_memory=False,
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
        callbacks=[train_cpu_timer(args.output_dir)],
    )
    result = trainer.train()
    logs = [row for row in trainer.state.log_history if "loss" in row]
    out = {"train_runtime": result.metrics["train_runtime"], "logs": logs}
    (Path(args.output_dir) / "bare_result.json").write_text(json.dumps(out) + "\n")


# ---------------------------------------------------------------- the harness
def openrs_cmd(run_dir: Path, steps: int) -> list[str]:
    """The openrs command line for one run."""
    return [sys.executable, "-m", "openrs.train", "+experiment=tiny", f"hydra.run.dir={run_dir}", f"trainer.max_steps={steps}",
            "+callbacks.cpu={_target_: bench.overhead.train_cpu_timer}"]  # fmt: skip


def bare_cmd(run_dir: Path, model_dir: Path, data: Path, steps: int) -> list[str]:
    """The bare TRL command line for one run."""
    return [sys.executable, str(Path(__file__).resolve()), "bare", "--model-dir", str(model_dir),
            "--data", str(data), "--output-dir", str(run_dir), "--steps", str(steps)]  # fmt: skip


def timed_run(cmd: list[str], log_file: Path, threads: int = 0) -> tuple[float, float]:
    """Run `cmd` from the repo root; its wall time and CPU time (user + system, its child processes
    included) in seconds. Fails loudly on a non-zero exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with log_file.open("w") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=thread_env(threads))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}); see {log_file}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def thread_env(threads: int) -> dict[str, str]:
    """The environment with torch's CPU threads set (0: torch's default, one per core)."""
    env = dict(os.environ)
    if threads:
        env |= {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    return env


def openrs_typed_config(steps: int):
    """openrs's TrainConfig for the tiny experiment, composed as the CLI does."""
    from openrs.config.store import compose_config, to_typed

    return to_typed(compose_config(["+experiment=tiny", f"trainer.max_steps={steps}"]))


def prepare(work: Path, steps: int) -> tuple[Path, Path, list[str]]:
    """Warm-up openrs run (its init_model is the bare side's model), export the rows, check equality."""
    from openrs.data import build_train_dataset
    from openrs.models import build_tokenizer
    from openrs.training.grpo_args import build_grpo_config

    warm = work / "warmup_openrs"
    timed_run(openrs_cmd(warm, 1), work / "warmup_openrs.log")
    model_dir = RunDir(warm).init_model
    cfg = openrs_typed_config(steps)
    rows = build_train_dataset(cfg.dataset, build_tokenizer(cfg.model), cfg.seed).to_list()
    data = work / "rows.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    checks = [f"same {len(rows)} prompt rows (openrs's pipeline exported, read back identical)"]
    assert bare_dataset(data).to_list() == rows
    ours = build_grpo_config(cfg, "X", [1.0, 1.0]).to_dict()
    # openrs's trainer options, at the values that leave TRL's behaviour unchanged
    assert ours.pop("logprobs_at_sampling_temperature") is True and ours.pop("max_prompt_length") is None
    assert ours.pop("vllm_weight_sync") == "nccl"  # TRL's own sync (only a vLLM server on CPU reloads)
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


def measure(
    work: Path, runs: int, steps: int, model_dir: Path, data: Path, threads: int
) -> dict[str, list[dict]]:
    """Alternate openrs and bare runs in ABBA order; wall and train time of each."""
    results: dict[str, list[dict]] = {"openrs": [], "bare": []}
    for i in range(runs):
        order = ("openrs", "bare") if i % 2 == 0 else ("bare", "openrs")
        for side in order:
            run_dir = work / f"{side}_{i}"
            load = os.getloadavg()[0]
            if side == "openrs":
                wall, cpu = timed_run(openrs_cmd(run_dir, steps), work / f"{side}_{i}.log", threads)
                summary = json.loads(RunDir(run_dir).summary.read_text())
                train = summary["train_metrics"]["train_runtime"]
                logs = read_metrics(RunDir(run_dir).metrics)
            else:
                cmd = bare_cmd(run_dir, model_dir, data, steps)
                wall, cpu = timed_run(cmd, work / f"{side}_{i}.log", threads)
                out = json.loads((run_dir / "bare_result.json").read_text())
                train, logs = out["train_runtime"], out["logs"]
            train_cpu = json.loads((run_dir / CPU_FILE).read_text())["train_cpu_s"]
            row = {"wall": wall, "train": train, "cpu": cpu, "train_cpu": train_cpu, "load": load}
            row["metrics"] = step_metrics(logs)
            results[side].append(row)
            print(
                f"run {i} {side:6s}: process {wall:6.2f} s (CPU {cpu:6.2f} s), "
                f"training {train:6.2f} s (CPU {train_cpu:6.2f} s), load {load:.1f}"
            )
    return results


KEYS = {
    "train": "training, wall (`train_runtime`)",
    "train_cpu": "training, CPU time",
    "wall": "whole process, wall",
    "cpu": "whole process, CPU time",
}


def summarise(results: dict[str, list[dict]]) -> dict[str, dict[str, float]]:
    """Per measure: each side's median, min and max, the ratio of the medians, and the median of the
    ratios of runs taken back to back (the pairs share the machine's load of the moment)."""
    stats = {}
    for key in KEYS:
        row = {}
        for side, rows in results.items():
            values = [r[key] for r in rows]
            row |= {
                f"{side}_median": statistics.median(values),
                f"{side}_min": min(values),
                f"{side}_max": max(values),
            }
        row["ratio"] = row["openrs_median"] / row["bare_median"]
        paired = [o[key] / b[key] for o, b in zip(results["openrs"], results["bare"], strict=True)]
        row |= {"paired": statistics.median(paired), "paired_min": min(paired), "paired_max": max(paired)}
        stats[key] = row
    return stats


def render(stats: dict, results: dict, checks: list[str], args: argparse.Namespace) -> str:
    """The results file."""
    loads = [r["load"] for rows in results.values() for r in rows]
    lines = [
        "# Overhead: `python -m openrs.train` vs a bare TRL script (tiny experiment)",
        "",
        f"Command: `python bench/overhead.py --runs {args.runs} --steps {args.steps} --threads {args.threads}`; "
        f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.node()} ({os.cpu_count()} CPU cores, shared), "
        f"python {platform.python_version()}, torch {version('torch')}, transformers {version('transformers')}, "
        f"trl {version('trl')}. Tiny experiment with `trainer.max_steps={args.steps}`, torch CPU threads "
        f"{args.threads or 'default'} on both sides, "
        f"{args.runs} runs per side in ABBA order after one warm-up run each; 1-min load average "
        f"{min(loads):.1f}–{max(loads):.1f} during the runs.",
        "",
        "| measure | openrs median (min–max) | bare TRL median (min–max) | ratio of medians "
        "| median of paired ratios (min–max) |",
        "|---|---|---|---|---|",
    ]
    for key, label in KEYS.items():
        r = stats[key]
        lines.append(
            f"| {label} | {r['openrs_median']:.2f} s ({r['openrs_min']:.2f}–{r['openrs_max']:.2f}) "
            f"| {r['bare_median']:.2f} s ({r['bare_min']:.2f}–{r['bare_max']:.2f}) | **{r['ratio']:.3f}** "
            f"| {r['paired']:.3f} ({r['paired_min']:.3f}–{r['paired_max']:.3f}) |"
        )
    outside = {side: stats["wall"][f"{side}_median"] - stats["train"][f"{side}_median"] for side in results}
    lines += [
        "",
        f"Outside training (median process − median training): openrs {outside['openrs']:.2f} s, "
        f"bare {outside['bare']:.2f} s.",
        "",
        "Checked identical: " + "; ".join(checks) + ".",
        "",
        "| run | side | process s | process CPU s | training s | training CPU s | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for i in range(args.runs):
        for side in ("openrs", "bare"):
            r = results[side][i]
            lines.append(
                f"| {i} | {side} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['train']:.2f} | {r['train_cpu']:.2f} "
                f"| {r['load']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def harness_main(args: argparse.Namespace) -> None:
    """Prepare, check, measure, write the results file."""
    work = Path(args.work_dir)
    shutil.rmtree(work, ignore_errors=True)  # an existing openrs run dir would be resumed, not rerun
    work.mkdir(parents=True)
    model_dir, data, checks = prepare(work, args.steps)
    results = measure(work, args.runs, args.steps, model_dir, data, args.threads)
    first_openrs = RunDir(work / "openrs_0").init_model
    assert same_weights(model_dir, first_openrs), "openrs runs built different tiny weights"
    checks.append("same initial weights (the warm-up run's init_model vs a timed run's, tensor by tensor)")
    reference = results["bare"][0]["metrics"]
    same = all(r["metrics"] == reference for rows in results.values() for r in rows)
    checks.append(
        f"per-step {', '.join(SAME_METRICS)} {'identical' if same else 'DIFFERENT'} in all "
        f"{2 * args.runs} timed runs ({len(reference)} steps each)"
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
    bare.add_argument("--steps", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads on both sides (0: torch's default)"
    )
    parser.add_argument("--work-dir", default="/tmp/openrs_bench/overhead")
    parser.add_argument("--out", default=str(ROOT / "bench" / "overhead_results.md"))
    import quick  # bench/quick.py, beside this script (run as `python bench/<script>.py`)

    args = quick.parse_args(parser, runs=1, steps=2)
    bare_main(args) if args.cmd == "bare" else harness_main(args)


if __name__ == "__main__":
    main()
