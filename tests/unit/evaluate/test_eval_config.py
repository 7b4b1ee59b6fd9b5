"""conf/evaluate.yaml and every eval preset compose into a valid EvalConfig; bad values fail in one line."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir

from openrs.config.store import to_typed
from openrs.errors import ConfigError
from openrs.evaluate.config import (
    BENCHMARKS,
    PAPER_EVAL_PROMPT,
    EvalConfig,
    register_eval_configs,
    validate_eval_config,
)
from tests.conftest import CONF_DIR, group_options


def compose_eval(overrides: list[str]) -> EvalConfig:
    register_eval_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("evaluate", overrides=overrides)
    return to_typed(cfg, EvalConfig)


@pytest.mark.parametrize("preset", group_options("eval"))
def test_every_eval_preset_composes_and_validates(preset):
    cfg = compose_eval([f"eval={preset}"])
    assert cfg.eval.name == preset
    validate_eval_config(cfg)


@pytest.mark.parametrize("option", group_options("checkpoints"))
def test_every_checkpoints_option_composes_into_its_schema(option):
    cfg = compose_eval([f"checkpoints={option}"])
    assert cfg.checkpoints.best is (option == "best")
    validate_eval_config(cfg)


def test_default_is_the_papers_protocol():
    cfg = compose_eval([])
    protocol, sampling = cfg.eval, cfg.eval.sampling
    assert protocol.name == "paper" and protocol.benchmarks == list(BENCHMARKS)
    assert (sampling.temperature, sampling.top_p, sampling.max_new_tokens, sampling.num_samples) == (
        0.6,
        0.95,
        32768,
        1,
    )
    assert protocol.use_chat_template and protocol.system_prompt is None
    # OmegaConf must not touch the $\boxed{...}$ in lighteval's prompt.
    assert protocol.prompt_template == PAPER_EVAL_PROMPT
    assert protocol.prompt_template.startswith("Solve the following math problem efficiently and clearly.")
    assert "$\\boxed{ANSWER}$" in protocol.prompt_template and protocol.prompt_template.endswith("{problem}")


@pytest.mark.parametrize(
    "override, named",
    [
        ("eval.benchmarks=[aime24,aime25]", "aime25"),
        ("eval.benchmarks=[]", "eval.benchmarks"),
        ("eval.sampling.top_p=0", "eval.sampling.top_p"),
        ("eval.sampling.num_samples=0", "eval.sampling.num_samples"),
        ("eval.k=[0]", "eval.k"),
        ("eval.limit=0", "eval.limit"),
        ("eval.prompt_template=no_placeholder", "{problem}"),
        ("backend.name=tgi", "backend.name"),
        ("backend.dtype=int4", "backend.dtype"),
        ("checkpoints.every=0", "checkpoints.every"),
    ],
)
def test_bad_values_name_the_key(override, named):
    with pytest.raises(ConfigError, match=named.replace("{", r"\{").replace("}", r"\}")):
        validate_eval_config(compose_eval([override]))


def test_unknown_key_is_rejected():
    with pytest.raises(ConfigError, match="eval.sampling.temp"):
        compose_eval(["+eval.sampling.temp=1.0"])
