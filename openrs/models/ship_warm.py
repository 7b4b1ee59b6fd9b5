"""Remake the warmed-up model openrs ships for the default run: `python -m openrs.models.ship_warm`.

Run it after changing anything the warm-model key covers (the default run's model or warm-up settings, the
tiny model's or prompts' code, torch/transformers/tokenizers in requirements.lock);
tests/unit/models/test_shipped_warm_model.py fails until it is run. It trains the warm-up as any run would
(`openrs.models.loading`), then replaces `openrs/models/warm/` with that one model under its key.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from openrs.models import warmup

log = logging.getLogger(__name__)


def ship(target_dir: Path = warmup.SHIPPED_DIR) -> Path:
    """Warm up the default run's model as a run does and ship it alone under its key; returns its folder."""
    from openrs.config.store import compose_config, to_typed
    from openrs.cpu_platform import use_deepspeed_cpu_accelerator
    from openrs.cpu_threads import apply_cpu_threads
    from openrs.models.loading import build_tiny, save_model
    from openrs.models.tiny import build_tiny_tokenizer

    cfg = to_typed(compose_config([]))  # what `python -m openrs.train` composes
    spec, seed = cfg.model.tiny, cfg.seed
    apply_cpu_threads(cfg.hardware)
    use_deepspeed_cpu_accelerator()  # saving imports DeepSpeed: no accelerator probe, no warning
    tokenizer = build_tiny_tokenizer(spec.tokenizer_vocab_size)
    model = build_tiny(spec, tokenizer, seed)
    warmup.warm_up(model, tokenizer, spec.warmup, seed)
    key = warmup.warm_model_key(spec, seed)
    with tempfile.TemporaryDirectory() as tmp:
        save_model(model, tokenizer, Path(tmp) / key)
        shutil.rmtree(target_dir, ignore_errors=True)
        shutil.copytree(Path(tmp) / key, target_dir / key)
    log.info("shipped %s", target_dir / key)
    return target_dir / key


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ship()
