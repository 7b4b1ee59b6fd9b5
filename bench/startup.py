"""Benchmark: start-up of `python -m openrs.train` and the time until the first training step.

Three measurements, each in fresh interpreters:
1. `--cfg job` wall time (compose and print the config; no torch), median of several runs, beside the
   interpreter's own start-up and a config error that preflight rejects (how fast a mistake fails),
   plus which packages `-X importtime` shows each importing.
2. Time to the first training step of the tiny experiment, by stage: the real `openrs.train` entry point
   runs (Hydra and all) with each function `run()` calls wrapped in a timer, and a callback that stops
   training after step 1. Libraries are imported first, one by one, so that the stages hold only work.
3. vLLM and DeepSpeed imported only when used: stand-in `vllm` and `deepspeed` packages (with package
   metadata, so TRL, transformers and accelerate believe them installed) record every import of them
   and where it came from, under `--cfg job` for the tiny and the exp2 config and under a tiny run.

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
HEAVY = ("torch", "transformers", "trl", "datasets", "accelerate", "math_verify", "vllm", "deepspeed")
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
# What `openrs.train.run` calls, looked up on these modules at call time, so wrapping them times the real run.
STAGES = [
    ("openrs.preflight", "run_preflight", "preflight checks"),
    ("openrs.training.loggers", "setup_loggers", "loggers"),
    ("openrs.rewards", "build_reward_funcs", "reward functions"),
    ("openrs.training.trainer", "last_checkpoint", "resume lookup"),
    ("openrs.training.grpo_args", "build_grpo_config", "GRPOConfig"),
    ("openrs.models", "build_tokenizer", "tokenizer"),
    ("openrs.data", "build_train_dataset", "dataset"),
    ("openrs.models", "model_source", "model (build + save the tiny Qwen2)"),
    ("openrs.training.trainer", "build_callbacks", "callbacks"),
    ("openrs.training.trainer", "build_trainer", "trainer construction (loads policy + reference)"),
]
STUB_FINDER = """
import importlib.abc, importlib.machinery, os, sys, traceback, types

class _Stub(types.ModuleType):
    __version__ = "{version}"
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return type(name, (), {{}})

class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("vllm", "deepspeed"):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
    def create_module(self, spec):
        frames = [f for f in traceback.extract_stack() if "importlib" not in f.filename
                  and "sitecustomize" not in f.filename]
        where = f"{{frames[-1].filename}}:{{frames[-1].lineno}}" if frames else "?"
        with open(os.environ["OPENRS_BENCH_IMPORT_LOG"], "a") as fh:
            fh.write(f"{{spec.name}} {{where}}\\n")
        module = _Stub(spec.name)
        module.__path__ = []
        return module
    def exec_module(self, module):
        pass

sys.meta_path.insert(0, _Finder())
"""


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
    """A config that preflight rejects (bf16 on the CPU preset): exit 2 before any model loads."""
    return ["-m", "openrs.train", "hardware.bf16=true", f"hydra.run.dir={work / 'preflight_error'}"]


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
    error = "preflight error: `python -m openrs.train hardware.bf16=true` (exit 2)"
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        for name, cmd in cmds.items():
            times[name].append(wall(cmd))
        times[error].append(wall([PY, *preflight_error_args(work)], expect=2))
    return times


def import_profile(args: list[str]) -> tuple[dict[str, float], set[str]]:
    """Self import time (s) per top-level package under `-X importtime`, and the modules imported."""
    proc = subprocess.run([PY, "-X", "importtime", *args], cwd=ROOT, capture_output=True, text=True)
    per_package: dict[str, float] = defaultdict(float)
    modules = set()
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line[len("import time:") :].split("|"))
        modules.add(name)
        per_package[name.split(".")[0]] += int(self_us) / 1e6
    return dict(sorted(per_package.items(), key=lambda kv: -kv[1])), modules


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

    sys.argv = ["openrs.train", f"hydra.run.dir={run_dir}"]
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


# ---------------------------------------------------------------- 3. vllm / deepspeed imports
def stub_env(work: Path, log: Path) -> dict[str, str]:
    """An environment where stand-in vllm 0.31.0 and deepspeed 0.17.0 look installed and log imports."""
    stubs = work / "stubs"
    shutil.rmtree(stubs, ignore_errors=True)
    stubs.mkdir(parents=True)
    for name, ver in (("vllm", "0.31.0"), ("deepspeed", "0.17.0")):
        dist = stubs / f"{name}-{ver}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n")
        (dist / "top_level.txt").write_text(f"{name}\n")  # maps the module to its distribution
    (stubs / "sitecustomize.py").write_text(STUB_FINDER.format(version="0.31.0"))
    env = dict(os.environ, OPENRS_BENCH_IMPORT_LOG=str(log))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(stubs), env.get("PYTHONPATH")]))
    return env


def import_probe(work: Path) -> dict[str, list[str]]:
    """For each case, the vllm/deepspeed modules imported and the file:line that first imported each."""
    cases = {
        "`--cfg job` (tiny)": ["-m", "openrs.train", "--cfg", "job"],
        "`+experiment=exp2 --cfg job`": ["-m", "openrs.train", "+experiment=exp2", "--cfg", "job"],
        "tiny training run (CPU, `trainer.max_steps=1`)": [
            "-m", "openrs.train", f"hydra.run.dir={work / 'probe_run'}", "trainer.max_steps=1",
        ],
    }  # fmt: skip
    found = {}
    for name, args in cases.items():
        log = work / "imports.log"
        log.unlink(missing_ok=True)
        shutil.rmtree(work / "probe_run", ignore_errors=True)
        env = stub_env(work, log)
        check = [PY, "-c", "import importlib.metadata as m; assert m.version('vllm') == '0.31.0'"]
        subprocess.run(check, env=env, check=True)
        proc = subprocess.run([PY, *args], cwd=ROOT, env=env, capture_output=True, text=True)
        lines = log.read_text().splitlines() if log.exists() else []
        top = [line for line in lines if line.split()[0] in ("vllm", "deepspeed")]
        status = f"exit {proc.returncode}" + (
            f": {proc.stderr.strip().splitlines()[-1]}" if proc.returncode else ""
        )
        found[name] = [
            status,
            *(top or ["neither imported"]),
            f"({len(lines)} vllm/deepspeed modules in all)",
        ]
    return found


# ---------------------------------------------------------------- report
def med(values: list[float]) -> str:
    """Median with min–max."""
    return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"


def render(args, cfg_times, profile, heavy_in_cfg_job, heavy_in_error, stages, probe) -> str:
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
        + f". Heavy packages imported: {', '.join(heavy_in_cfg_job) or 'none'} (checked: {', '.join(HEAVY)}). "
        f"Before the preflight error: {', '.join(heavy_in_error) or 'none'}.",
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
        "",
        "## vLLM and DeepSpeed imported only when used",
        "",
        "With stand-in `vllm` 0.31.0 and `deepspeed` 0.17.0 on the path (package metadata included, so TRL, "
        "transformers and accelerate see them as installed), every import of them is logged with the line "
        "that made it:",
        "",
        *(f"- {case}: " + "; ".join(rows) for case, rows in probe.items()),
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
    args = parser.parse_args()
    if args.child:
        stage_child(Path(args.child), Path(args.run_dir))
        return
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    cfg_times = cfg_job_times(args.runs, work)
    profile, modules = import_profile(["-m", "openrs.train", "--cfg", "job"])
    heavy = [pkg for pkg in HEAVY if pkg in {m.split(".")[0] for m in modules}]
    _, error_modules = import_profile(preflight_error_args(work))
    heavy_in_error = [pkg for pkg in HEAVY if pkg in {m.split(".")[0] for m in error_modules}]
    stages = stage_times(args.stage_runs, work, args.threads)
    probe = import_probe(work)
    text = render(args, cfg_times, profile, heavy, heavy_in_error, stages, probe)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
