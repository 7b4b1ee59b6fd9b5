"""Sweep presets in conf/sweep/ and the SLURM launcher preset compose into valid runs."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from tests.conftest import CONF_DIR, group_options

SWEEPS = group_options("sweep")
PARSER = OverridesParser.create()


def test_paper_questions_have_presets():
    assert {"length", "lr"} <= set(SWEEPS)


@pytest.mark.parametrize("sweep", SWEEPS)
def test_every_point_of_a_sweep_preset_composes(compose_cfg, sweep):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=["+experiment=exp3", f"+sweep={sweep}"], return_hydra_config=True)
    params = OmegaConf.to_container(cfg.hydra.sweeper.params)
    assert params, f"sweep={sweep} sets no hydra.sweeper.params"
    for key, values in params.items():
        points = [value.strip() for value in str(values).split(",")]
        assert len(points) >= 2, f"sweep={sweep}: {key} has a single value"
        is_group = (CONF_DIR / key).is_dir()
        assert is_group or OmegaConf.select(cfg, key) is not None, f"sweep={sweep}: no config key {key}"
        for point in points:
            # Compose the point as Hydra's sweeper will for that job (typed: wrong types fail here).
            raw, _ = compose_cfg(["+experiment=exp3", f"{key}={point}"])
            if not is_group:
                assert OmegaConf.select(raw, key) == PARSER.parse_override(f"{key}={point}").value()


@pytest.mark.parametrize("hardware, gpus", [("slurm_4gpu", 4), ("cpu", 0)])
def test_slurm_launcher_preset_takes_gpus_from_hardware(hardware, gpus):
    overrides = ["hydra/launcher=openrs_slurm", "+experiment=exp3", f"hardware={hardware}"]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "config", overrides=[*overrides, "hydra.launcher.partition=gpu"], return_hydra_config=True
        )
    launcher = OmegaConf.to_container(cfg.hydra.launcher, resolve=True)
    assert launcher["_target_"].endswith("submitit_launcher.SlurmLauncher")
    assert launcher["gpus_per_node"] == gpus and launcher["partition"] == "gpu"
    assert launcher["max_num_timeout"] > 0  # time-outs are requeued; the run resumes from its checkpoint
