"""Every shipped dataset option resolves to valid sources; the mix presets compose and sweep."""

from __future__ import annotations

import pytest
import yaml

from openrs.data.mix import resolve_sources
from openrs.data.sources import BUILTIN_PREFIX, check_builtin
from tests.conftest import CONF_DIR, group_options


@pytest.mark.parametrize("option", group_options("dataset"))
def test_dataset_option_sources_resolve(compose_cfg, option):
    _, cfg = compose_cfg([f"dataset={option}"])
    specs = resolve_sources(cfg.dataset)
    assert specs
    for spec in specs:
        if spec.path.startswith(BUILTIN_PREFIX):
            check_builtin(spec.path)


@pytest.mark.parametrize("share", [0, 30, 60, 100])
def test_mix_presets_set_the_open_s1_share_over_the_experiment(compose_cfg, share):
    _, cfg = compose_cfg(["+experiment=exp2", f"dataset=mix_s1_{share}"])
    weights = {name: src["weight"] for name, src in cfg.dataset.mix.items()}
    assert weights["open_s1"] == pytest.approx(share / 100)
    assert sum(weights.values()) == pytest.approx(1)
    assert cfg.dataset.max_rows == 7000 and cfg.dataset.path is None
    assert [s.name for s in resolve_sources(cfg.dataset)] == [
        n for n in ("open_s1", "deepscaler") if weights[n] > 0
    ]


def test_mix_sweep_lists_shipped_options(compose_cfg):
    sweep = yaml.safe_load((CONF_DIR / "sweep" / "mix_s1.yaml").read_text())
    options = sweep["hydra"]["sweeper"]["params"]["dataset"].split(",")
    assert set(options) <= set(group_options("dataset"))
    assert len(options) == 4
