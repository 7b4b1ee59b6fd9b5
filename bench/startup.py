"""Benchmark: start-up of `python -m openrs.train` and the time until the first training step.

Two measurements, each in fresh interpreters:
1. `--cfg job` wall time (compose and print the config; no torch), median of several runs, beside the
   interpreter's own start-up and a config error that preflight rejects (how fast a mistake fails),
   plus the self import time per package under `-X importtime`.
2. Time to the first training step of the tiny experiment, by stage: the real `openrs.train` entry point
   runs (Hydra and all) with each function `run()` calls wrapped in a timer, and a callback that stops
   training after step 1. Libraries are imported first, one by one, so that the stages hold only work.
That `--cfg job` imports no heavy library, and vLLM / DeepSpeed none at all, is a test:
tests/unit/test_imports.py.

Run: `python bench/startup.py [--runs 7] [--stage-runs 3] [--out bench/startup_results.md]`.
"""

from __future__ import annotations

import time

CHILD_START = time.time()  # first thing: the stage child's interpreter start-up ends here

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections import defaultdict  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ATTN_ERROR = "model.attn_implementation=flash_attention_2"
# Libraries a training run imports, in dependency order (each line's time excludes the ones above it).
LIBRARIES = [
    ("torch", "import torch"),
    (
        "transformers",
        "import transformers; from transformers import PreTrainedTokenizerFast, TrainerCallback",
    ),
    ("datasets", "import datasets"),
    ("trl (GRPOTrainer, GRPOConfig)", "from trl import GRPOConfig, GRPOTrainer"),
    ("math-verify", "import math_verify"),
    (
        "openrs modules",
        "import openrs.data, openrs.models, openrs.preflight, openrs.rewards, openrs.training.grpo_args, "
        "openrs.training.summary, openrs.training.trainer, openrs.training.loggers",
    ),
]
# What `openrs.train.main` calls, looked up on these modules at call time, so wrapping them times the real run.
STAGES = [
    ("openrs.preflight", "run_preflight", "preflight checks"),
    ("openrs.training.loggers", "setup_loggers", "loggers"),
    ("openrs.rewards", "build_reward_funcs", "reward functions"),
    ("openrs.run_dir.session", "plan_resume", "resume lookup"),
    ("openrs.training.grpo_args", "build_grpo_config", "GRPOConfig"),
    ("openrs.models", "build_tokenizer", "tokenizer"),
    ("openrs.data", "build_train_dataset", "dataset"),
    ("openrs.models", "model_source", "model (build + save the tiny Qwen2)"),
    ("openrs.training.trainer", "build_callbacks", "callbacks"),
    ("openrs.training.trainer", "build_trainer", "trainer construction (loads policy + reference)"),
]


# ---------------------------------------------------------------- 1. --cfg job
def wall(cmd: list[str], expect: int = 0) -> float:
    """Wall time of one command from the repo root (fails loudly on an exit code other than `expect`)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != expect:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return elapsed


def preflight_error_args(work: Path) -> list[str]:
    """A config that preflight rejects (flash-attention on the CPU preset): exit 2 before any model loads.

    (bf16 on the CPU preset no longer serves: preflight allows it on a CPU with bf16 instructions.)
    """
    return ["-m", "openrs.train", ATTN_ERROR, f"hydra.run.dir={work / 'preflight_error'}"]


def cfg_job_times(runs: int, work: Path) -> dict[str, list[float]]:
    """Interleaved wall times of the interpreter alone, `import openrs.train`, `--cfg job` and a
    preflight error."""
    cmds = {
        "`python -c pass` (interpreter)": [PY, "-c", "pass"],
        "`python -c 'import openrs.train'`": [PY, "-c", "import openrs.train"],
        "`python -m openrs.train --cfg job`": [PY, "-m", "openrs.train", "--cfg", "job"],
        "`python -m openrs.train +experiment=exp2 --cfg job`": [
            PY, "-m", "openrs.train", "+experiment=exp2", "--cfg", "job",
        ],
    }  # fmt: skip
    error = f"preflight error: `python -m openrs.train {ATTN_ERROR}` (exit 2)"
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        for name, cmd in cmds.items():
            times[name].append(wall(cmd))
        times[error].append(wall([PY, *preflight_error_args(work)], expect=2))
    return times


def import_profile(args: list[str]) -> dict[str, float]:
    """Self import time (s) per top-level package under `-X importtime`."""
    proc = subprocess.run([PY, "-X", "importtime", *args], cwd=ROOT, capture_output=True, text=True)
    per_package: dict[str, float] = defaultdict(float)
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line[len("import time:") :].split("|"))
        per_package[name.split(".")[0]] += int(self_us) / 1e6
    return dict(sorted(per_package.items(), key=lambda kv: -kv[1]))


# ---------------------------------------------------------------- 2. stages until the first step
def stage_child(out: Path, run_dir: Path) -> None:
    """In a fresh interpreter: import, then run the real entry point with every stage timed."""
    import importlib

    marks = [("python start-up", CHILD_START)]
    imports = {}
    for name, statement in [("hydra, omegaconf, openrs.train", "import openrs.train"), *LIBRARIES]:
        start = time.time()
        exec(statement, {})
        imports[name] = time.time() - start
    marks.append(("imports", time.time()))
    events: list[tuple[str, float, float]] = []

    def timed(func, label):
        def wrapper(*args, **kwargs):
            start = time.time()
            try:
                return func(*args, **kwargs)
            finally:
                events.append((label, start, time.time()))

        return wrapper

    for module_name, attr, label in STAGES:
        module = importlib.import_module(module_name)
        setattr(module, attr, timed(getattr(module, attr), label))
    from transformers import TrainerCallback

    class FirstStepTimer(TrainerCallback):
        """Marks train() set-up and step 1, then stops training."""

        def on_train_begin(self, args, state, control, **kwargs):
            marks.append(("train_begin", time.time()))

        def on_step_begin(self, args, state, control, **kwargs):
            if state.global_step == 0:
                marks.append(("step_begin", time.time()))

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 1:
                marks.append(("step_end", time.time()))
                control.should_training_stop = True

    trainer_mod = importlib.import_module("openrs.training.trainer")
    build_callbacks = trainer_mod.build_callbacks
    trainer_mod.build_callbacks = lambda *a, **k: [*build_callbacks(*a, **k), FirstStepTimer()]
    marks.append(("hydra_start", time.time()))
    import runpy

    sys.argv = ["openrs.train", "+experiment=tiny", f"hydra.run.dir={run_dir}"]  # not the default's warm-up
    try:
        runpy.run_module("openrs.train", run_name="__main__")
    except SystemExit as err:
        if err.code:
            raise
    out.write_text(json.dumps({"marks": marks, "events": events, "imports": imports}))


def stage_breakdown(child: dict, launched: float) -> dict[str, float]:
    """Seconds per stage, in order, from the child's marks and wrapped calls."""
    marks = dict(child["marks"])
    stages = {"python start-up": marks["python start-up"] - launched}
    stages.update({f"import {k}": v for k, v in child["imports"].items()})
    events = sorted(child["events"], key=lambda e: e[1])
    stages["Hydra: compose, validate, run dir, save config"] = events[0][1] - marks["hydra_start"]
    previous_end = events[0][1]
    for label, start, end in events:
        gap = start - previous_end
        if gap > 0.0005:
            stages["run() glue between stages"] = stages.get("run() glue between stages", 0.0) + gap
        stages[label] = stages.get(label, 0.0) + end - start
        previous_end = end
    stages["train(): accelerate set-up until step 1"] = marks["step_begin"] - previous_end
    stages["step 1 (generate, rewards, loss, backward, optimiser)"] = marks["step_end"] - marks["step_begin"]
    stages["total until the end of step 1"] = marks["step_end"] - launched
    return stages


def stage_times(runs: int, work: Path, threads: int) -> dict[str, list[float]]:
    """Stage breakdowns of `runs` fresh child processes."""
    env = dict(os.environ)
    if threads:
        env |= {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    per_stage: dict[str, list[float]] = defaultdict(list)
    for i in range(runs):
        run_dir, out = work / f"stages_{i}", work / f"stages_{i}.json"
        shutil.rmtree(run_dir, ignore_errors=True)
        launched = time.time()
        subprocess.run(
            [PY, str(Path(__file__).resolve()), "--child", str(out), "--run-dir", str(run_dir)],
            cwd=ROOT, check=True, capture_output=True, env=env,
        )  # fmt: skip
        for name, seconds in stage_breakdown(json.loads(out.read_text()), launched).items():
            per_stage[name].append(seconds)
    return per_stage


# ---------------------------------------------------------------- report
def med(values: list[float]) -> str:
    """Median with min–max."""
    return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"


def render(args, cfg_times, profile, stages) -> str:
    """The results file."""
    lines = [
        "# Start-up: `python -m openrs.train`",
        "",
        f"Command: `python bench/startup.py --runs {args.runs} --stage-runs {args.stage_runs}`; "
        f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.node()} ({os.cpu_count()} CPU cores, shared with other "
        f"work; 1-min load {os.getloadavg()[0]:.1f} at the end), python {platform.python_version()}, "
        f"torch {version('torch')}, transformers {version('transformers')}, trl {version('trl')}, "
        f"hydra-core {version('hydra-core')}.",
        "",
        f"## `--cfg job` (median of {args.runs}, min–max; target < 3 s)",
        "",
        "| command | wall time |",
        "|---|---|",
        *(f"| {name} | {med(values)} |" for name, values in cfg_times.items()),
        "",
        "Self import time by package under `python -X importtime -m openrs.train --cfg job` (top 6): "
        + ", ".join(f"{pkg} {sec:.2f} s" for pkg, sec in list(profile.items())[:6])
        + ".",
        "",
        f"## Until the first training step (tiny experiment, torch CPU threads {args.threads or 'default'}, "
        f"median of {args.stage_runs}, min–max)",
        "",
        "| stage | time |",
        "|---|---|",
        *(f"| {name} | {med(values)} |" for name, values in stages.items()),
        "",
        "Imports are hoisted before the run, one library after another (each line excludes those above it); in a "
        "normal run the same imports happen lazily inside the first stage that needs them.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Harness by default; `--child` is one timed stage run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--stage-runs", type=int, default=3)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads in the stage runs (0: default)"
    )
    parser.add_argument("--work-dir", default="/tmp/openrs_bench/startup")
    parser.add_argument("--out", default=str(ROOT / "bench" / "startup_results.md"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", help=argparse.SUPPRESS)
    import quick  # bench/quick.py, beside this script (run as `python bench/<script>.py`)

    args = quick.parse_args(parser, runs=1, stage_runs=1)
    if args.child:
        stage_child(Path(args.child), Path(args.run_dir))
        return
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    cfg_times = cfg_job_times(args.runs, work)
    profile = import_profile(["-m", "openrs.train", "--cfg", "job"])
    stages = stage_times(args.stage_runs, work, args.threads)
    text = render(args, cfg_times, profile, stages)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
