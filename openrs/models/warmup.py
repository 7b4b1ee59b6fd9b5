"""Supervised warm-up of a tiny model on program-generated demonstrations, before GRPO, and its cache.

A warmed-up model is saved once per set of settings under the warm-model cache (outside any run dir:
`~/.cache/openrs/warm_models/<key>`, or `$OPENRS_WARM_MODEL_CACHE/<key>`), so that a second run, or a
rerun after Ctrl-C, copies it instead of training it again. The default run's warmed-up model is also
shipped in the package (`openrs/models/warm/<key>`, 2 MB; remade by `python -m openrs.models.ship_warm`),
so that a newcomer's first run starts GRPO at once; any other setting, seed or version warms up here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import inspect
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from openrs.config.schema import TinyModelConfig, WarmupConfig
from openrs.data.prompts import build_conversation, prompt_token_ids
from openrs.data.sources import import_generator

log = logging.getLogger(__name__)

IGNORE_INDEX = -100
CACHE_ENV = "OPENRS_WARM_MODEL_CACHE"
SHIPPED_DIR = Path(__file__).with_name("warm")  # the default run's warmed-up model, under its key
# Libraries whose numerics or serialisation make the saved weights and tokenizer what they are.
KEY_PACKAGES = ("torch", "transformers", "tokenizers")
# openrs code that builds the tokenizer and the random model, templates the prompts and trains.
KEY_MODULES = ("openrs.models.tiny", "openrs.data.prompts", __name__)


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
        "warm-up: %d steps on %d demonstrations in %.1f s", spec.steps, len(examples), time.time() - start
    )
    return loss


def warm_model_cache_dir() -> Path:
    """Where warmed-up models are kept: $OPENRS_WARM_MODEL_CACHE, else $XDG_CACHE_HOME/openrs/warm_models."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "openrs" / "warm_models"


def warm_model_key(spec: TinyModelConfig, seed: int) -> str:
    """A hash of everything that determines the warmed-up model of `spec` (with its tokenizer) for `seed`."""
    # The tokenizer is keyed by its recipe (the vocabulary size, tiny.py's code, the tokenizers version)
    # so that the key, and the banner's "cached", need no transformers import. Thread count and CPU
    # instruction set change only the weights' last bits, as a rerun on another machine would.
    generator = import_generator(spec.warmup.demonstrations, "model.tiny.warmup.demonstrations")
    modules = [importlib.import_module(name) for name in KEY_MODULES]
    parts = {
        "model": dataclasses.asdict(spec),
        "seed": seed,
        "versions": {name: importlib.metadata.version(name) for name in KEY_PACKAGES},
        "code": {
            module.__name__: hashlib.sha256(inspect.getsource(module).encode()).hexdigest()
            for module in [*modules, inspect.getmodule(generator)]
        },
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def cached_warm_model(spec: TinyModelConfig, seed: int) -> Path:
    """The folder the warmed-up model for these settings is (or will be) cached in."""
    return warm_model_cache_dir() / warm_model_key(spec, seed)


def shipped_warm_model(spec: TinyModelConfig, seed: int) -> Path | None:
    """The warmed-up model openrs ships for exactly these settings (the default run's), if any."""
    path = SHIPPED_DIR / warm_model_key(spec, seed)
    return path if is_cached(path) else None


def find_warm_model(spec: TinyModelConfig, seed: int) -> tuple[Path | None, str]:
    """A saved warmed-up model for these settings and where it is from ("cached", "shipped"), or (None, "")."""
    cached = cached_warm_model(spec, seed)
    if is_cached(cached):
        return cached, "cached"
    shipped = shipped_warm_model(spec, seed)
    return (shipped, "shipped") if shipped is not None else (None, "")


def is_cached(path: Path) -> bool:
    """Whether `path` holds a complete saved model (folders are only ever renamed into place whole)."""
    return (path / "config.json").exists()


def save_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """Call `write(folder)` on a new folder beside `target`, then rename it to `target` (whole or not at all)."""
    # If another process renamed its copy into place first, that copy stays and ours is dropped.
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        write(tmp)
        if target.exists() and not is_cached(target):  # left by an older, non-atomic writer
            shutil.rmtree(target)
        os.rename(tmp, target)
    except OSError:
        if not is_cached(target):
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
