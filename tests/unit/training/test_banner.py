"""The run's banner: what is about to happen, the CPU threads chosen, and it comes before the warm-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from openrs.training.banner import banner_text, busy_note, plan_text, rough_seconds

REPO = Path(__file__).resolve().parents[3]


def lines_by_key(text: str) -> dict[str, str]:
    """{first word: rest} of the banner's indented lines."""
    return {line.split()[0]: line.split(maxsplit=1)[1] for line in text.splitlines()[1:]}


def test_the_default_run_banner_names_everything_and_the_plan(compose_cfg):
    _, cfg = compose_cfg([])
    text = banner_text(cfg, Path("outputs/run"), warm="build")
    assert text.splitlines()[0] == "openrs train: experiment 'micro_repro'"
    lines = lines_by_key(text)
    assert list(lines) == ["model", "data", "hardware", "steps", "run", "next"]
    assert lines["model"].startswith("tiny-qwen2-warm (a tiny Qwen2 built here: 2 layers of 128")
    assert "4096 prompts" in lines["data"] and "8 completions each per step" in lines["data"]
    assert lines["hardware"] == "cpu: 1 process, 1 CPU thread each"
    assert lines["run"] == "dir   outputs/run"
    assert lines["next"].startswith("warm up the model (1000 supervised steps, then cached for later runs)")
    assert "then 40 GRPO steps: about " in lines["next"] and "on an idle machine (warm-up " in lines["next"]


@pytest.mark.parametrize(
    "load, cpus, note",
    [
        (0.9, 2, ""),
        (1.5, 2, ""),
        (3.2, 2, "; this machine is busy (load 3.2 on 2 CPUs): longer"),
        (10.0, 16, ""),
    ],
)
def test_a_busy_machine_is_said_to_take_longer(load, cpus, note):
    assert busy_note(load, cpus) == note


@pytest.mark.parametrize(
    "override, shown",
    [
        ("hardware.torch_threads=2", "cpu: 1 process, 2 CPU threads each"),
        ("hardware.torch_threads=null", "cpu: 1 process, torch's default CPU threads"),
        ("hardware=cpu_ddp", "cpu_ddp: 2 processes, 1 CPU thread each"),
    ],
)
def test_the_banner_shows_the_threads_chosen(compose_cfg, override, shown):
    _, cfg = compose_cfg([override])
    assert lines_by_key(banner_text(cfg, Path("r")))["hardware"] == shown


def test_a_cached_warm_up_is_said_and_not_counted(compose_cfg):
    _, cfg = compose_cfg([])
    cached = plan_text(cfg, 0, "cached")
    assert (
        cached.startswith("the warmed-up model from the cache, then 40 GRPO steps")
        and "warm-up" not in cached
    )
    assert rough_seconds(cfg, warm_up=False)[0] == 0 < rough_seconds(cfg, warm_up=True)[0]
    resumed = plan_text(cfg, 20, "run dir")
    assert resumed.startswith("20 GRPO steps from step 20")


def test_a_gpu_run_promises_no_duration(compose_cfg):
    _, cfg = compose_cfg(["+experiment=exp2"])
    assert rough_seconds(cfg, warm_up=False) is None
    assert plan_text(cfg, 0, "").endswith("500 GRPO steps; each step's time is printed as it runs")


# `python -m openrs.train` with `train` stopped after the model is built (no GRPO): twice, so that the
# second run finds the first one's warm-up in the cache.
RUN_TWICE = """
import sys
import openrs.train as recipe
recipe.train = lambda cfg, run_dir, start: recipe.build_inputs(cfg, run_dir)
root, overrides = sys.argv[1], sys.argv[2:]
for run in ("first", "second"):
    sys.argv = ["openrs.train", f"hydra.run.dir={root}/{run}", *overrides]
    recipe.main()
"""


def test_the_banner_comes_before_the_warm_up_and_a_rerun_skips_it(tmp_path):
    overrides = ["model.tiny.warmup.steps=2", "model.tiny.warmup.num_examples=8", "dataset.num_rows=16"]
    result = subprocess.run(
        [sys.executable, "-c", RUN_TWICE, str(tmp_path), *overrides],
        cwd=REPO, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "OPENRS_WARM_MODEL_CACHE": str(tmp_path / "cache")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lines = (result.stdout + result.stderr).splitlines()
    banners = [i for i, line in enumerate(lines) if "openrs train: experiment 'micro_repro'" in line]
    warm_up = [i for i, line in enumerate(lines) if "warm-up: 2 steps on 8 demonstrations" in line]
    skipped = [i for i, line in enumerate(lines) if "warm-up skipped" in line]
    assert len(banners) == 2 and len(warm_up) == 1 and len(skipped) == 1
    assert banners[0] < warm_up[0] < banners[1] < skipped[0]
    assert lines[banners[0] + 6].split()[1:4] == ["warm", "up", "the"]
    assert "the warmed-up model from the cache" in lines[banners[1] + 6]
    assert (tmp_path / "second" / "init_model" / "model.safetensors").exists()
