"""Supervised warm-up of a tiny model on program-generated demonstrations, before GRPO."""

from __future__ import annotations

import logging
import time

from openrs.config.schema import WarmupConfig
from openrs.data.prompts import build_conversation, prompt_token_ids
from openrs.data.sources import import_generator

log = logging.getLogger(__name__)

IGNORE_INDEX = -100


def load_demonstrations(spec: WarmupConfig, seed: int) -> list[dict[str, str]]:
    """Rows of {problem, completion} from the generator `spec.demonstrations` names (a dotted path)."""
    generate = import_generator(spec.demonstrations, "model.tiny.warmup.demonstrations")
    return generate(spec.num_examples, seed)


def encode_demonstrations(
    rows: list[dict[str, str]], tokenizer, system_prompt: str
) -> list[tuple[list, int]]:
    """Token ids of each templated prompt + completion + EOS, with the prompt's length (not trained on)."""
    prompts = prompt_token_ids([build_conversation(system_prompt, row["problem"]) for row in rows], tokenizer)
    encoded = []
    for row, prompt in zip(rows, prompts, strict=True):
        completion = tokenizer(row["completion"], add_special_tokens=False)["input_ids"]
        encoded.append((prompt + completion + [tokenizer.eos_token_id], len(prompt)))
    return encoded


def collate(examples: list[tuple[list, int]], pad_id: int):
    """Right-padded input ids, attention mask and labels that score only completion tokens."""
    import torch

    width = max(len(ids) for ids, _ in examples)
    input_ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, (ids, prompt_len) in enumerate(examples):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        labels[row, prompt_len : len(ids)] = torch.tensor(ids[prompt_len:])
        mask[row, : len(ids)] = 1
    return input_ids, mask, labels


def warm_up(model, tokenizer, spec: WarmupConfig, seed: int) -> float:
    """Train `model` in place for `spec.steps` seeded AdamW steps on the demonstrations; return the last loss."""
    import torch
    from tqdm.auto import tqdm
    from transformers import get_cosine_schedule_with_warmup

    examples = encode_demonstrations(load_demonstrations(spec, seed), tokenizer, spec.system_prompt)
    optimizer = torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=spec.weight_decay)
    schedule = get_cosine_schedule_with_warmup(optimizer, int(spec.warmup_ratio * spec.steps), spec.steps)
    start, loss = time.time(), float("nan")
    model.train()
    generator = torch.Generator().manual_seed(seed)  # the batch order; the model has no dropout
    order, position = torch.randperm(len(examples), generator=generator), 0
    for step in tqdm(range(1, spec.steps + 1), desc="warm-up", mininterval=5):
        if position + spec.batch_size > len(order):  # a new epoch: reshuffle
            order, position = torch.randperm(len(examples), generator=generator), 0
        batch = [examples[i] for i in order[position : position + spec.batch_size].tolist()]
        position += spec.batch_size
        input_ids, mask, labels = collate(batch, tokenizer.pad_token_id)
        out = model(input_ids=input_ids, attention_mask=mask, labels=labels)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        loss = out.loss.item()
        if step % max(1, spec.steps // 10) == 0:
            log.info("warm-up step %d/%d: loss %.4f", step, spec.steps, loss)
    model.eval()
    log.info(
        "warm-up: %d steps on %d demonstrations in %.0f s", spec.steps, len(examples), time.time() - start
    )
    return loss
