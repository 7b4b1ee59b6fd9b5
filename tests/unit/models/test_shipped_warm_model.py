"""The warmed-up model openrs ships is the default run's, for the code and versions installed: a newcomer's
first run skips its warm-up. Fails after a change to what the warm-model key covers until
`python -m openrs.models.ship_warm` (make warm-model) remakes it."""

from __future__ import annotations

import json

from openrs.models import warmup


def test_the_shipped_warm_model_is_the_default_runs():
    from openrs.config.store import compose_config, to_typed

    cfg = to_typed(compose_config([]))
    shipped = sorted(p.name for p in warmup.SHIPPED_DIR.iterdir() if p.is_dir())
    key = warmup.warm_model_key(cfg.model.tiny, cfg.seed)
    assert shipped == [key], f"stale shipped warm model {shipped}; run `python -m openrs.models.ship_warm`"
    config = json.loads((warmup.SHIPPED_DIR / key / "config.json").read_text())
    assert config["hidden_size"] == cfg.model.tiny.hidden_size
    assert config["num_hidden_layers"] == cfg.model.tiny.num_hidden_layers


def test_the_cache_comes_before_the_shipped_model_and_other_settings_get_neither(tmp_path, monkeypatch):
    from openrs.config.store import compose_config, to_typed

    monkeypatch.setenv(warmup.CACHE_ENV, str(tmp_path))
    cfg = to_typed(compose_config([]))
    spec, seed = cfg.model.tiny, cfg.seed
    found, origin = warmup.find_warm_model(spec, seed)
    assert origin == "shipped" and found == warmup.SHIPPED_DIR / warmup.warm_model_key(spec, seed)
    cached = warmup.cached_warm_model(spec, seed)
    cached.mkdir(parents=True)
    (cached / "config.json").write_text("{}")
    assert warmup.find_warm_model(spec, seed) == (cached, "cached")
    assert warmup.find_warm_model(spec, seed + 1) == (None, "")  # another seed warms up
