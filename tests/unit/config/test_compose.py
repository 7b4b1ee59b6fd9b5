"""Every shipped experiment composes with every hardware option, and every _target_ binds."""

from __future__ import annotations

import inspect

import pytest
from hydra.errors import ConfigCompositionException
from hydra.utils import get_method
from omegaconf import OmegaConf

from openrs.errors import ConfigError
from tests.conftest import group_options

EXPERIMENTS = group_options("experiment")
HARDWARE = group_options("hardware")


def iter_targets(node, path=""):
    """Yield (path, dict) for every mapping with a `_target_` key in a plain container."""
    if isinstance(node, dict):
        if "_target_" in node:
            yield path, node
        for key, value in node.items():
            yield from iter_targets(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from iter_targets(value, f"{path}[{i}]")


def test_shipped_presets_exist():
    assert {"tiny", "exp1", "exp2", "exp3"} <= set(EXPERIMENTS)
    assert {"cpu", "single_gpu", "local_4gpu"} <= set(HARDWARE)


@pytest.mark.parametrize("hardware", HARDWARE)
@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_composes_with_every_hardware(compose_cfg, experiment, hardware):
    cfg, typed = compose_cfg([f"+experiment={experiment}", f"hardware={hardware}"])
    assert typed.hardware.name == hardware
    assert typed.experiment_name == experiment
    OmegaConf.to_container(cfg, resolve=True)  # every interpolation resolves


@pytest.mark.parametrize("experiment", [None, *EXPERIMENTS])  # None: the default run
def test_every_target_resolves_and_binds(compose_cfg, experiment):
    cfg, _ = compose_cfg([f"+experiment={experiment}"] if experiment else [])
    targets = list(iter_targets(OmegaConf.to_container(cfg, resolve=True)))
    assert targets, "every experiment has at least one reward"
    for path, node in targets:
        func = get_method(node["_target_"])
        params = {k: v for k, v in node.items() if not k.startswith("_") and k != "weight"}
        try:
            # What openrs itself passes: rewards get completions, callbacks the run dir.
            supplied = {"reward": {"completions": []}, "callbacks": {"run_dir": "run"}}.get(
                path.split(".")[0], {}
            )
            inspect.signature(func).bind(**supplied, **params)
        except TypeError as err:
            pytest.fail(
                f"{experiment}: {path} params {sorted(params)} do not bind to {node['_target_']}: {err}"
            )


@pytest.mark.parametrize("group", ["model", "dataset", "reward", "optimizer", "hardware", "trainer"])
def test_every_group_option_composes(compose_cfg, group):
    for option in group_options(group):
        _, typed = compose_cfg([f"{group}={option}"])
        assert getattr(typed, group) is not None


@pytest.mark.parametrize(
    "override, named",
    [
        ("optimizer.lrr=1", "optimizer.lrr"),
        ("trainer.num_generation=4", "trainer.num_generation"),
        ("+optimizer.lrr=1", "lrr"),
        ("model=not_a_model", "not_a_model"),
    ],
)
def test_misspelled_override_names_the_key(compose_cfg, override, named):
    with pytest.raises((ConfigCompositionException, ConfigError)) as err:
        compose_cfg([override])
    message = str(err.value) + str(err.value.__cause__ or "")
    assert named in message


def test_wrong_type_is_rejected(compose_cfg):
    with pytest.raises(ConfigCompositionException) as err:
        compose_cfg(["optimizer.lr=fast"])
    assert "lr" in str(err.value) + str(err.value.__cause__)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiments_drop_the_default_runs_preset(compose_cfg, experiment):
    """`+experiment=X` is X alone: the default run's warm-up, lr and held-out callback do not leak into it."""
    _, typed = compose_cfg([f"+experiment={experiment}"])
    if experiment != "micro_repro":  # the micro reproduction is the default run, named
        assert "held_out" not in typed.callbacks
        assert typed.model.tiny is None or typed.model.tiny.warmup is None
