"""Benchmark: step time with 1 and 2 torch threads per process, quiet and beside two busy CPU-bound processes.

Cases, each a fresh process with `hardware.torch_threads=N` (no OMP_NUM_THREADS inherited from here):

- `default`: `python -m openrs.train` (the micro reproduction) with a shortened warm-up and fewer GRPO
  steps: warm-up s/step, GRPO s/step (TRL's `step_time`), wall time; its warm-up cache is a fresh
  folder, so the warm-up is timed.
- `tiny`: `+experiment=tiny`: GRPO s/step and wall time.
- `cpu_ddp`: `+experiment=tiny hardware=cpu_ddp`: 2 training processes of N threads each.
- `evaluate`: `python -m openrs.evaluate eval=smoke backend.cpu_threads=N` on a tiny run dir: wall time.

Loads: `quiet` starts nothing (other people's work on a shared machine still counts: each figure has
`uptime`'s load averages at its start and end); `busy` starts two `while True: pass` Python processes
first and stops them after. `--first-command` also runs README's first command unchanged (the defaults
these figures chose) quiet and busy, and records its wall time and held-out accuracy before/after.

Run: `python bench/threads.py [--first-command] [--out bench/threads_results.md]`; `--quick` (seconds,
for CI) runs `tiny` for one step, quiet, with one thread.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ("default", "tiny", "cpu_ddp", "evaluate")
LOADS = ("quiet", "busy")
WARMUP_LINE = re.compile(r"warm-up: (\d+) steps on \d+ demonstrations in ([\d.]+) s")
BUSY_LOOP = "while True: pass"
# The environment a run must not inherit: the config chooses the threads.
INHERITED_THREADS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TOKENIZERS_PARALLELISM")


def load_average() -> str:
    """`uptime`'s 1, 5 and 15-minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@contextlib.contextmanager
def busy_processes(count: int) -> Iterator[None]:
    """Run `count` CPU-bound Python processes for the duration of the block."""
    procs = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(count)]
    try:
        time.sleep(1.0)  # let the scheduler see them
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def run_env(cache: Path) -> dict[str, str]:
    """This environment without inherited thread settings, offline, with its own warm-model cache."""
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_THREADS}
    return env | {"HF_HUB_OFFLINE": "1", "WANDB_MODE": "offline", "OPENRS_WARM_MODEL_CACHE": str(cache)}


def run(command: list[str], cache: Path, timeout: float) -> tuple[float, str, str]:
    """Run `command` from the repository root; (wall seconds, load before, load after)."""
    before, start = load_average(), time.time()
    result = subprocess.run(
        command, cwd=ROOT, env=run_env(cache), capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=timeout,
    )  # fmt: skip
    wall = time.time() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return wall, before, load_average()


def train_command(run_dir: Path, threads: int | None, overrides: list[str]) -> list[str]:
    """`python -m openrs.train` into `run_dir` with `threads` per process (None: the config's default)."""
    chosen = [] if threads is None else [f"hardware.torch_threads={threads}"]
    return [sys.executable, "-m", "openrs.train", f"hydra.run.dir={run_dir}", *chosen, *overrides]


def step_times(run_dir: Path) -> list[float]:
    """TRL's step_time of every step in the run's metrics.jsonl."""
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line]
    return [row["step_time"] for row in rows if "step_time" in row]


def warmup_seconds_per_step(run_dir: Path) -> float | None:
    """Seconds per supervised warm-up step, from the run's log."""
    match = WARMUP_LINE.search((run_dir / "train.log").read_text())
    return float(match.group(2)) / int(match.group(1)) if match else None


def measure(case: str, threads: int, work: Path, args: argparse.Namespace, model_dir: Path | None) -> dict:
    """One run of `case` with `threads` per process: its figures and the load averages around it."""
    run_dir, cache = work / f"{case}-{threads}-{time.time_ns()}", work / f"cache-{time.time_ns()}"
    if case == "evaluate":
        command = [
            sys.executable, "-m", "openrs.evaluate", f"model_path={model_dir}", "eval=smoke",
            f"backend.cpu_threads={threads}", f"hydra.run.dir={run_dir}",
        ]  # fmt: skip
        wall, before, after = run(command, cache, args.timeout)
        return {"wall_s": wall, "load_before": before, "load_after": after}
    overrides = {
        "default": [f"trainer.max_steps={args.steps}", f"model.tiny.warmup.steps={args.warmup_steps}"],
        "tiny": ["+experiment=tiny", f"trainer.max_steps={args.steps}"],
        "cpu_ddp": ["+experiment=tiny", "hardware=cpu_ddp", f"trainer.max_steps={args.steps}"],
    }[case]
    wall, before, after = run(train_command(run_dir, threads, overrides), cache, args.timeout)
    times = step_times(run_dir)
    return {
        "wall_s": wall, "load_before": before, "load_after": after,
        "grpo_s_per_step": statistics.median(times) if times else None,
        "warmup_s_per_step": warmup_seconds_per_step(run_dir) if case == "default" else None,
    }  # fmt: skip


def first_command(work: Path, args: argparse.Namespace) -> dict:
    """README's first command as it ships: wall time and held-out accuracy before and after GRPO."""
    run_dir = work / f"first-{time.time_ns()}"
    wall, before, after = run(train_command(run_dir, None, []), work / f"cache-{time.time_ns()}", 3600)
    result = json.loads((run_dir / "micro_repro.json").read_text())
    return {
        "wall_s": wall, "load_before": before, "load_after": after,
        "accuracy_before": result["before"], "accuracy_after": result["after"],
        "warmup_s_per_step": warmup_seconds_per_step(run_dir),
        "grpo_s_per_step": statistics.median(step_times(run_dir)),
    }  # fmt: skip


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render(rows: list[dict], firsts: list[dict], args: argparse.Namespace) -> str:
    """The results as markdown: the command, the machine, one row per run."""
    lines = [
        f"`python bench/threads.py {' '.join(sys.argv[1:])}` on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}; "
        f"`default` with a {args.warmup_steps}-step warm-up, `default`/`tiny`/`cpu_ddp` {args.steps} GRPO "
        "steps, `evaluate` eval=smoke on a 2-step tiny run (init_model + 1 checkpoint).",
        "",
        "| case | load | threads/process | warm-up s/step | GRPO s/step (median) | wall s | load avg before | load avg after |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['load']} | {r['threads']} | {fmt(r.get('warmup_s_per_step'), 3)} | "
            f"{fmt(r.get('grpo_s_per_step'))} | {fmt(r['wall_s'], 1)} | {r['load_before']} | {r['load_after']} |"
        )
    if firsts:
        lines += [
            "",
            "README's first command, unchanged (`python -m openrs.train`, defaults):",
            "",
            "| load | wall s | held-out before | after | gain (points) | warm-up s/step (-: the shipped one) "
            "| GRPO s/step | load avg before | load avg after |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for r in firsts:
            gain = 100 * (r["accuracy_after"] - r["accuracy_before"])
            lines.append(
                f"| {r['load']} | {r['wall_s']:.0f} | {r['accuracy_before']:.3f} | {r['accuracy_after']:.3f} | "
                f"{gain:+.1f} | {fmt(r['warmup_s_per_step'], 3)} | {r['grpo_s_per_step']:.2f} | "
                f"{r['load_before']} | {r['load_after']} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run every case x load x thread count (and optionally the first command); print or write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny, 1 step, quiet, 1 thread (seconds; CI)")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--loads", nargs="+", choices=LOADS, default=list(LOADS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--steps", type=int, default=5, help="GRPO steps per training run")
    parser.add_argument("--warmup-steps", type=int, default=50, help="warm-up steps of the default run")
    parser.add_argument("--first-command", action="store_true", help="also run README's first command")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.quick:
        args.cases, args.loads, args.threads, args.steps, args.first_command = (
            ["tiny"],
            ["quiet"],
            [1],
            1,
            False,
        )

    rows, firsts = [], []
    with tempfile.TemporaryDirectory(prefix="openrs_threads_") as tmp:
        work = Path(tmp)
        model_dir = None
        if "evaluate" in args.cases:  # a tiny run to evaluate (untimed)
            model_dir = work / "eval_model"
            run(train_command(model_dir, 1, ["+experiment=tiny", "trainer.max_steps=2"]), work / "c", 600)
        for load in args.loads:
            with busy_processes(2 if load == "busy" else 0):
                for case in args.cases:
                    for threads in args.threads:
                        row = {"case": case, "load": load, "threads": threads}
                        row |= measure(case, threads, work, args, model_dir)
                        rows.append(row)
                        print(json.dumps(row), flush=True)
                if args.first_command:
                    firsts.append({"load": load, **first_command(work, args)})
                    print(json.dumps(firsts[-1]), flush=True)
    table = render(rows, firsts, args)
    if args.out:
        args.out.write_text(table)
    print(table)


if __name__ == "__main__":
    main()
