"""The trainer `trainer=paper` builds computes what TRL 69ad852 (the commit knoveleng/open-rs pins) did.

On the tiny model: log-probabilities from the raw logits, prompts left-truncated, advantages
(r - mean) / (std + 1e-4) per group, and the loss (value and gradient) of 69ad852's `compute_loss`,
re-implemented here from its formula; TRL 1.16's own behaviours are checked to differ where they should.
"""

from __future__ import annotations

import pytest

from openrs.models.tiny import build_tiny_tokenizer
from openrs.training.grpo_args import build_grpo_config
from openrs.training.trainer import build_trainer

MAX_PROMPT = 20
PAPER = ["+experiment=tiny", "trainer=paper", "trainer.max_completion_length=12",
         "dataset.long_prompts=truncate", f"dataset.max_prompt_length={MAX_PROMPT}"]  # fmt: skip
# The schema's defaults (TRL 1.16's behaviour), at the paper's group size and temperature.
TRL_1_16 = ["+experiment=tiny", "trainer.num_generations=6", "trainer.per_device_train_batch_size=6",
            "trainer.max_completion_length=12", "trainer.temperature=0.7"]  # fmt: skip
PROMPT = [{"role": "system", "content": "Think step by step, then give the answer in a box. " * 2},
          {"role": "user", "content": "What is 12 + 30?"}]  # fmt: skip


def length_reward(completions, **kwargs) -> list[float]:
    """A reward that varies a little within a group (so the 1e-4 in the advantages shows): 0.001 x chars."""
    return [1e-3 * len(c[0]["content"]) for c in completions]


def make_trainer(compose_cfg, model_dir, tmp_path, overrides):
    from datasets import Dataset

    _, cfg = compose_cfg(overrides)
    grpo_config = build_grpo_config(cfg, tmp_path, [1.0])
    tokenizer = build_tiny_tokenizer()
    dataset = Dataset.from_list([{"prompt": PROMPT}] * 6)
    trainer = build_trainer(str(model_dir), tokenizer, dataset, [length_reward], grpo_config, [])
    trainer.model.train()  # as in the training loop (the tiny Qwen2 has no dropout)
    return trainer


@pytest.fixture(scope="module")
def paper_trainer(compose_cfg, tiny_model_dir, tmp_path_factory):
    return make_trainer(compose_cfg, tiny_model_dir, tmp_path_factory.mktemp("paper"), PAPER)


@pytest.fixture(scope="module")
def trl_trainer(compose_cfg, tiny_model_dir, tmp_path_factory):
    return make_trainer(compose_cfg, tiny_model_dir, tmp_path_factory.mktemp("trl"), TRL_1_16)


def raw_logps(model, input_ids, attention_mask, keep: int, temperature: float = 1.0):
    """69ad852's `_get_per_token_logps`: log-softmax of the model's logits (over `temperature`)."""
    import torch

    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, -keep - 1 : -1]
    logps = torch.log_softmax(logits.float() / temperature, dim=-1)
    return logps.gather(-1, input_ids[:, -keep:].unsqueeze(-1)).squeeze(-1)


def templated_ids(tokenizer) -> list[int]:
    return tokenizer.apply_chat_template(PROMPT, add_generation_prompt=True, return_dict=True)["input_ids"]


def a_batch(tokenizer):
    import torch

    ids = torch.tensor([templated_ids(tokenizer)[-16:]] * 2)
    ids[1, :3] = tokenizer.pad_token_id
    mask = torch.ones_like(ids)
    mask[1, :3] = 0
    return ids, mask


@pytest.mark.parametrize("which, temperature", [("paper", 1.0), ("trl", 0.7)])
def test_log_probabilities_use_raw_logits_in_the_paper_preset(
    request, which, temperature, tiny_model_dir, compose_cfg
):
    import torch

    trainer = request.getfixturevalue(f"{which}_trainer")
    ids, mask = a_batch(trainer.processing_class)
    for model in (trainer.model, trainer.ref_model):
        with torch.no_grad():
            ours, _, _ = trainer._get_per_token_logps_and_entropies(model, ids, mask, 8)
            expected = raw_logps(model, ids, mask, 8, temperature)
            other = raw_logps(model, ids, mask, 8, 1.7 - temperature)  # the other temperature
        torch.testing.assert_close(ours, expected, atol=1e-5, rtol=1e-5)
        assert (ours - other).abs().mean() > 1e-3


def test_prompts_are_left_truncated_in_the_paper_preset(paper_trainer, trl_trainer):
    full = templated_ids(paper_trainer.processing_class)
    assert len(full) > MAX_PROMPT
    (cut,), _, _ = paper_trainer._tokenize_prompts([PROMPT])
    assert list(cut) == full[-MAX_PROMPT:]
    (kept,), _, _ = trl_trainer._tokenize_prompts([PROMPT])
    assert list(kept) == full


def test_advantages_and_loss_are_those_of_trl_69ad852(paper_trainer):
    import torch

    trainer = paper_trainer
    assert trainer.args.steps_per_generation == 1 and trainer.args.gradient_accumulation_steps == 4
    torch.manual_seed(0)
    with torch.no_grad():  # move the policy off its reference, as training does, so the KL term counts
        for param in trainer.model.parameters():
            param.add_(0.05 * torch.randn_like(param))
    inputs = trainer._generate_and_score_completions([{"prompt": PROMPT}] * 6)
    completions = trainer.processing_class.batch_decode(inputs["completion_ids"], skip_special_tokens=True)
    rewards = torch.tensor([1e-3 * len(c) for c in completions], dtype=torch.float64)
    assert rewards.std() > 0, "the tiny model's completions should differ in length"
    expected_adv = (rewards - rewards.mean()) / (rewards.std() + 1e-4)  # one group of 6, unbiased std
    torch.testing.assert_close(inputs["advantages"].cpu().double(), expected_adv, atol=1e-4, rtol=1e-3)
    without_epsilon = (rewards - rewards.mean()) / rewards.std()
    assert (expected_adv - without_epsilon).abs().max() > 1e-2  # the check above can see the 1e-4
    assert inputs.get("old_per_token_logps") is None  # on-policy: one generation per micro-step
    assert inputs["prompt_ids"].size(1) == MAX_PROMPT  # generated from, and scored on, the cut prompt

    # 69ad852's compute_loss: token-level mean over the micro-batch, k3 KL without importance weights.
    ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], dim=1)
    mask_all = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], dim=1)
    keep, mask = inputs["completion_ids"].size(1), inputs["completion_mask"]
    logps = raw_logps(trainer.model, ids, mask_all, keep)
    with torch.no_grad():
        ref = raw_logps(trainer.ref_model, ids, mask_all, keep)
    coef = torch.exp(logps - logps.detach())
    adv = inputs["advantages"].unsqueeze(1)
    per_token = -torch.min(coef * adv, torch.clamp(coef, 0.8, 1.2) * adv)
    per_token = per_token + 0.04 * (torch.exp(ref - logps) - (ref - logps) - 1)
    expected_loss = (per_token * mask).sum() / mask.sum()
    expected_grads = torch.autograd.grad(expected_loss, list(trainer.model.parameters()))

    trainer.current_gradient_accumulation_steps = 4  # what the training loop sets; TRL divides by it
    loss = trainer.compute_loss(trainer.model, inputs) * 4
    grads = torch.autograd.grad(loss, list(trainer.model.parameters()))
    torch.testing.assert_close(loss, expected_loss, atol=1e-5, rtol=1e-4)
    for ours, theirs in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=1e-3)

    # TRL 1.16's default KL weighting changes that gradient even on-policy: the check above can fail.
    trainer.args.use_bias_correction_kl = True
    try:
        weighted = torch.autograd.grad(
            trainer.compute_loss(trainer.model, inputs) * 4, list(trainer.model.parameters())
        )
    finally:
        trainer.args.use_bias_correction_kl = False
    assert max((a - b).abs().max().item() for a, b in zip(weighted, expected_grads, strict=True)) > 1e-4

    # The KL as 69ad852 logged it (mean over sequences of each one's mean) beside TRL 1.16's token mean;
    # completions of different lengths tell the two apart.
    short = dict(inputs, completion_mask=inputs["completion_mask"].clone())
    short["completion_mask"][::2, keep // 3 :] = 0
    mask = short["completion_mask"]
    per_token_kl = (torch.exp(ref - logps) - (ref - logps) - 1).detach()
    per_sequence = ((per_token_kl * mask).sum(1) / mask.sum(1)).mean().item()
    token_mean = ((per_token_kl * mask).sum() / mask.sum()).item()
    assert abs(per_sequence - token_mean) > 1e-3 * token_mean
    with torch.no_grad():
        trainer.compute_loss(trainer.model, short)
    metrics = trainer._metrics["train"]
    assert metrics["kl_per_sequence"][-1] == pytest.approx(per_sequence, rel=1e-4)
    assert metrics["kl"][-1] == pytest.approx(token_mean, rel=1e-4)
