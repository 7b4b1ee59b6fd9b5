"""The GPU benchmarks' CPU paths: the command line, the cost projection, the random model's config."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.gpu.exp2_projection import EXP2, Measured, project
from bench.gpu.random_model import SMOKE_SHAPE, padded_tiny_tokenizer, r1_config
from tests.conftest import REPO


@pytest.mark.parametrize("command", ["step-time", "exp2-cost", "eval-throughput"])
def test_every_subcommand_explains_itself(command):
    out = subprocess.run(
        [sys.executable, "-m", "bench.gpu", command, "--help"], cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 0 and "R1-Distill" in out.stdout


def test_projection_adds_generation_training_and_the_optimiser_step():
    rows = project(Measured(7168, 0.5, 0.2), 3584, usd_per_gpu_hour=2.5)
    assert rows["completions_per_step"] == EXP2.completions_per_step == 72
    assert rows["generation_s_per_step"] == pytest.approx(72 * 3584 / 7168)
    one_gpu = rows["rows"]["1 GPU (colocated)"]
    assert one_gpu["step_s"] == pytest.approx(36 + 72 * 0.5 + 0.2)
    assert one_gpu["gpu_hours"] == pytest.approx(one_gpu["step_s"] * 500 / 3600)
    layout = rows["rows"]["paper layout (1 vLLM + 3 train)"]
    assert layout["gpu_hours"] == pytest.approx((36 + 24 * 0.5 + 0.2) * 500 / 3600 * 4)


def test_the_smoke_model_takes_the_padded_tokenizers_token_ids():
    tokenizer = padded_tiny_tokenizer(r1_config().vocab_size)
    assert len(tokenizer) == 151936
    config = r1_config(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, **SMOKE_SHAPE
    )
    assert (config.eos_token_id, config.num_hidden_layers) == (tokenizer.eos_token_id, 2)


def _bench_train_configs(tmp_path) -> dict:
    """The `python -m openrs.train` overrides of every training phase the GPU benchmarks run."""
    import argparse

    from bench.gpu import device_run, step_time

    args = argparse.Namespace(steps=3, completion_length=512)
    phases = {f"step-time smoke={smoke}": step_time.train_overrides(tmp_path, tmp_path, 3, 512, smoke)
              for smoke in (True, False)}  # fmt: skip
    for dry_run in (True, False):
        for zero2 in (False, True):
            args.dry_run = dry_run
            phases[f"device-run dry_run={dry_run} zero2={zero2}"] = device_run.train_overrides(
                tmp_path, tmp_path, args, zero2
            )
    return phases


def test_the_benchmarks_train_the_bench_model_not_the_micro_reproduction(compose_cfg, tmp_path):
    """The default run's preset (its held-out evaluation, warm model, micro trainer) stays out of GPU timings."""
    for phase, overrides in _bench_train_configs(tmp_path).items():
        _, cfg = compose_cfg([o for o in overrides if not o.startswith("hydra.")])
        assert "held_out" not in cfg.callbacks and "gpu_memory" in cfg.callbacks, phase
        assert cfg.model.name_or_path == str(tmp_path) and cfg.experiment_name.startswith("bench_gpu"), phase
        assert not cfg.reward.funcs["format"].get("prompt_opens_think", False), phase
        # the smoke check of step-time is a tiny run; the rest time the paper's step
        if "smoke=True" not in phase:
            assert cfg.trainer.loss_type == "bnpo", phase
