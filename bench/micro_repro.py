"""Benchmark: the CPU micro reproduction over several seeds, with the working and the flipped reward sign.

For each seed, `python -m openrs.train +experiment=micro_repro seed=S` runs once as configured and once
with every reward weight negated (reusing that seed's cached warm-up), and the held-out accuracies
before and after GRPO and the wall times go into a markdown table.

Run: `python bench/micro_repro.py [--seeds 42 1 2] [--out bench/micro_repro_results.md]`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openrs.run_dir import RunDir

ROOT = Path(__file__).resolve().parents[1]
SIGNS = {
    "working": (),
    "flipped": ("reward.funcs.accuracy.weight=-1", "reward.funcs.format.weight=-1"),
}


def run(run_dir: Path, seed: int, overrides: tuple[str, ...]) -> dict:
    """One run of the experiment; its micro_repro.json plus the wall time."""
    start = time.time()
    subprocess.run(
        [sys.executable, "-m", "openrs.train", "+experiment=micro_repro", f"seed={seed}",
         f"hydra.run.dir={run_dir}", *overrides],
        cwd=ROOT, check=True, capture_output=True, stdin=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    result = json.loads((run_dir / "micro_repro.json").read_text())
    return {**result, "wall_s": time.time() - start}


def main() -> None:
    """Run every seed with both signs and print (or write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--override", nargs="*", default=[], help="more overrides for every run")
    import quick  # bench/quick.py, beside this script (run as `python bench/<script>.py`)

    args = quick.parse_args(
        parser,
        seeds=[42],
        override=["model.tiny.warmup.steps=5", "trainer.max_steps=2", "callbacks.held_out.eval_every=2"],
    )

    lines = [
        f"Micro reproduction on {platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s); "
        "held-out accuracy over 64 problems x 4 samples at temperature 1.",
        "",
        "| seed | reward | before | after | change | wall (s) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(prefix="micro_repro_") as tmp:
        for seed in args.seeds:
            for name, overrides in SIGNS.items():
                run_dir = Path(tmp) / f"seed{seed}_{name}"
                if name != "working":  # reuse this seed's warm-up: the flipped run differs only in GRPO
                    shutil.copytree(
                        RunDir(Path(tmp) / f"seed{seed}_working").init_model, RunDir(run_dir).init_model
                    )
                r = run(run_dir, seed, (*overrides, *args.override))
                lines.append(
                    f"| {seed} | {name} | {r['before']:.3f} | {r['after']:.3f} | "
                    f"{r['after'] - r['before']:+.3f} | {r['wall_s']:.0f} |"
                )
                print(lines[-1], flush=True)
    table = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(table)
    print(table)


if __name__ == "__main__":
    main()
