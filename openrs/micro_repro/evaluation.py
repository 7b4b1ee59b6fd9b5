"""Held-out accuracy of a policy: several seeded samples per problem, scored by the accuracy reward."""

from __future__ import annotations

from collections.abc import Sequence

from openrs.data.prompts import build_conversation


def sample_completions(
    model,
    tokenizer,
    prompts: Sequence[list[dict]],
    *,
    num_samples: int,
    temperature: float,
    max_new_tokens: int,
    seed: int,
    batch_size: int = 128,
) -> list[str]:
    """`num_samples` completions per prompt (prompt-major), sampled with a fixed seed; RNG state is restored."""
    import torch

    texts = [tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=False) for p in prompts]
    texts = [t for t in texts for _ in range(num_samples)]
    was_training = model.training
    model.eval()
    completions = []
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(seed)
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                texts[start : start + batch_size], return_tensors="pt", padding=True, padding_side="left",
                add_special_tokens=False,
            ).to(model.device)  # fmt: skip
            out = model.generate(
                **batch, do_sample=True, temperature=temperature, top_p=1.0, top_k=0,
                max_new_tokens=max_new_tokens, pad_token_id=tokenizer.pad_token_id,
                eos_token_id=tokenizer.eos_token_id, use_cache=True,
            )  # fmt: skip
            # Decoded as TRL decodes completions for the rewards.
            completions += tokenizer.batch_decode(
                out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True
            )
    model.train(was_training)
    return completions


def held_out_accuracy(
    model,
    tokenizer,
    rows: Sequence[dict[str, str]],
    system_prompt: str,
    *,
    num_samples: int,
    temperature: float,
    max_new_tokens: int,
    seed: int,
) -> float:
    """Mean accuracy reward over `num_samples` sampled completions of each {problem, answer} row."""
    from openrs.rewards import accuracy_reward

    prompts = [build_conversation(system_prompt, row["problem"]) for row in rows]
    completions = sample_completions(
        model, tokenizer, prompts, num_samples=num_samples, temperature=temperature,
        max_new_tokens=max_new_tokens, seed=seed,
    )  # fmt: skip
    answers = [row["answer"] for row in rows for _ in range(num_samples)]
    scores = accuracy_reward(completions, answers, num_workers=0)
    return sum(s or 0.0 for s in scores) / len(scores)
