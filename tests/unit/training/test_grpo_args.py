"""The GRPOConfig object TRL receives for each preset: the paper's recipe, exactly."""

from __future__ import annotations

import pytest

from openrs.errors import ConfigError
from openrs.training.grpo_args import build_grpo_config

PAPER = {
    "learning_rate": 1e-6,
    "lr_scheduler_type": "cosine_with_min_lr",
    "lr_scheduler_kwargs": {"min_lr_rate": 0.1},
    "warmup_steps": 0.1,
    "num_generations": 6,
    "per_device_train_batch_size": 6,
    "gradient_accumulation_steps": 4,
    "max_completion_length": 3584,
    "temperature": 0.7,
    "max_steps": 500,
    "save_steps": 50,
    "seed": 42,
    "beta": 0.04,
    "epsilon": 0.2,
    # The loss and sampling of TRL 69ad852, the commit knoveleng/open-rs pins (README: fidelity table):
    # token-level normalisation over each micro-batch, (r - mean) / (std + 1e-4) per group, one
    # generation per micro-step (3 prompts x 6 samples over the 3 processes), log-probabilities from the
    # raw logits, a KL term without importance weighting; prompts left-truncated to 512 tokens.
    "loss_type": "bnpo",
    "scale_rewards": "group",
    "multi_objective_aggregation": "sum_then_normalize",
    "steps_per_generation": 1,
    "generation_batch_size": 6,  # per device x 1 process here x 1 step; 18 on the paper's 3 processes
    "num_iterations": 1,
    "logprobs_at_sampling_temperature": False,
    "use_bias_correction_kl": False,
    "max_prompt_length": 512,
    "push_to_hub": False,
    "vllm_importance_sampling_correction": False,
    "use_vllm": True,
    "vllm_mode": "server",
    "vllm_gpu_memory_utilization": 0.7,
    "bf16": True,
    "log_completions": False,
    "model_init_kwargs": {
        "dtype": "bfloat16",
        "attn_implementation": "flash_attention_2",
        "revision": "main",
    },
}


@pytest.fixture
def gpu_machine(monkeypatch):
    """GRPOConfig refuses bf16 without a GPU; pretend one is there to inspect the GPU presets."""
    import transformers.training_args as training_args

    monkeypatch.setattr(training_args, "is_torch_bf16_gpu_available", lambda: True)


@pytest.mark.parametrize(
    "experiment, weights",
    [("exp1", [1.0, 1.0]), ("exp2", [1.0, 1.0]), ("exp3", [1.0, 2.0])],
)
def test_paper_presets_reach_trl_unchanged(compose_cfg, gpu_machine, tmp_path, experiment, weights):
    _, cfg = compose_cfg([f"+experiment={experiment}"])
    reward_weights = [spec["weight"] for spec in cfg.reward.funcs.values()]
    grpo = build_grpo_config(cfg, tmp_path, reward_weights)
    for key, expected in PAPER.items():
        assert getattr(grpo, key) == expected, key
    assert grpo.reward_weights == weights
    assert grpo.output_dir == str(tmp_path)


def test_exp3_cosine_settings_follow_the_paper(compose_cfg):
    _, cfg = compose_cfg(["+experiment=exp3"])
    cosine = cfg.reward.funcs["cosine"]
    assert cosine["max_len"] == 3584 == cfg.trainer.max_completion_length
    assert (cosine["min_value_wrong"], cosine["max_value_wrong"]) == (0.0, -0.5)
    assert (cosine["min_value_correct"], cosine["max_value_correct"]) == (0.5, 1.0)
    assert cosine["length_unit"] == "chars" and cosine["clamp"] is False
    assert set(cfg.reward.funcs) == {"format", "cosine"}


def test_dataset_and_prompt_per_experiment(compose_cfg):
    paths = {exp: compose_cfg([f"+experiment={exp}"])[1].dataset.path for exp in ("exp1", "exp2", "exp3")}
    assert paths == {"exp1": "knoveleng/open-s1", "exp2": "knoveleng/open-rs", "exp3": "knoveleng/open-rs"}
    prompt = compose_cfg(["+experiment=exp2"])[1].dataset.system_prompt
    assert "<think>" in prompt and "<answer>" in prompt and "\\boxed" in prompt
    for exp in ("exp1", "exp2", "exp3"):  # fed as the paper fed them: left-truncated, not deduplicated
        data = compose_cfg([f"+experiment={exp}"])[1].dataset
        assert (data.max_prompt_length, data.long_prompts, data.dedupe) == (512, "truncate", False), exp
    default = compose_cfg([])[1].dataset
    assert (default.long_prompts, default.dedupe) == ("drop", True)


def test_openrs_defaults_keep_trl_1_16_loss_and_sampling(compose_cfg, tmp_path):
    grpo = build_grpo_config(compose_cfg(["+experiment=tiny"])[1], tmp_path, [1.0, 1.0])  # schema defaults
    assert (grpo.loss_type, grpo.scale_rewards, grpo.use_bias_correction_kl) == ("dapo", "group", True)
    assert grpo.logprobs_at_sampling_temperature and grpo.max_prompt_length is None
    assert grpo.steps_per_generation == grpo.gradient_accumulation_steps  # TRL's default


def test_cpu_turns_off_bf16_and_gradient_checkpointing(compose_cfg, tmp_path):
    _, cfg = compose_cfg([])
    grpo = build_grpo_config(cfg, tmp_path, [1.0, 1.0])
    assert grpo.use_cpu and not grpo.bf16 and not grpo.gradient_checkpointing and not grpo.use_vllm
    assert grpo.model_init_kwargs == {"dtype": "float32"}


def test_sweepable_overrides_reach_trl(compose_cfg, gpu_machine, tmp_path):
    _, cfg = compose_cfg(["+experiment=exp3", "optimizer.lr=3e-6", "trainer.max_completion_length=2048"])
    grpo = build_grpo_config(cfg, tmp_path, [1.0, 2.0])
    assert grpo.learning_rate == 3e-6 and grpo.max_completion_length == 2048
    assert cfg.reward.funcs["cosine"]["max_len"] == 2048  # interpolated, stays equal


def test_unknown_extra_key_is_named(compose_cfg, tmp_path):
    _, cfg = compose_cfg(["+trainer.extra.vllm_device=cuda:3"])
    with pytest.raises(ConfigError, match="vllm_device"):
        build_grpo_config(cfg, tmp_path, [1.0, 1.0])


# A model some of whose parameters a step leaves unused sets trainer.extra.ddp_find_unused_parameters=true.
@pytest.mark.parametrize(
    "overrides, find_unused",
    [
        (["+experiment=tiny", "hardware=cpu_ddp"], False),  # no search, and no DDP warning that it found none
        (["+experiment=exp2"], False),
        (["hardware=cpu_ddp", "+trainer.extra.ddp_find_unused_parameters=true"], True),
    ],
)
def test_ddp_searches_for_unused_parameters_only_when_asked(
    compose_cfg, gpu_machine, tmp_path, overrides, find_unused
):
    grpo = build_grpo_config(compose_cfg(overrides)[1], tmp_path, [1.0, 1.0])
    assert grpo.ddp_find_unused_parameters is find_unused


def test_every_parameter_of_the_tiny_model_gets_a_gradient(compose_cfg):
    """Why DDP needs no unused-parameter search: one loss reaches every weight (the tied head included)."""
    from openrs.models.tiny import build_tiny_qwen2, build_tiny_tokenizer

    tiny = compose_cfg(["+experiment=tiny"])[1].model.tiny
    tokenizer = build_tiny_tokenizer(tiny.tokenizer_vocab_size)
    model = build_tiny_qwen2(tiny, tokenizer, seed=0)
    ids = tokenizer("What is 2 + 3? \\boxed{5}", return_tensors="pt").input_ids
    model(input_ids=ids, labels=ids).loss.backward()
    unused = [name for name, param in model.named_parameters() if param.grad is None or not param.grad.any()]
    assert unused == []
