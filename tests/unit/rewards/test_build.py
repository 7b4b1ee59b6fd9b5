"""build_reward_funcs: config entries to bound TRL reward functions, and one-line errors for bad ones."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

from openrs.errors import ConfigError
from openrs.rewards import build_reward_funcs, pop_reward_metrics
from openrs.rewards.build import reward_parameters

CONF_REWARD = Path(__file__).resolve().parents[3] / "conf" / "reward"


def _name(func: Any) -> str:
    return getattr(func, "func", func).__name__


def test_entries_become_bound_functions_and_weights_in_order() -> None:
    funcs, weights = build_reward_funcs(
        {
            "format": {
                "_target_": "openrs.rewards.think_answer_format_reward",
                "weight": 1.0,
                "prompt_opens_think": True,
            },
            "cosine": {
                "_target_": "openrs.rewards.cosine_scaled_reward",
                "weight": 2,
                "max_len": 100,
                "clamp": False,
            },
            "off": {"_target_": "openrs.rewards.tag_count_reward", "weight": 0.0},
            "gone": None,
        }
    )
    assert [_name(f) for f in funcs] == ["think_answer_format_reward", "cosine_scaled_reward"]
    assert weights == [1.0, 2.0]
    assert funcs[0](["Thinking.\n</think>\n<answer>\n1\n</answer>"]) == [1.0]
    assert pickle.loads(pickle.dumps(funcs[1])).keywords == {"max_len": 100, "clamp": False}


def test_reward_parameters_leave_out_what_trl_passes() -> None:
    params = reward_parameters(
        build_reward_funcs({"a": {"_target_": "openrs.rewards.accuracy_reward"}})[0][0]
    )
    assert "unparseable_gold_reward" in params
    assert not {"completions", "answer", "completion_ids", "prompts"} & set(params)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"_target_": "openrs.rewards.no_such_reward"}, "reward.funcs.x._target_: cannot import"),
        ({"_target_": "no_such_module.reward"}, "reward.funcs.x._target_: cannot import"),
        ({"_target_": "accuracy_reward"}, "reward.funcs.x._target_: expected a dotted path"),
        ({"weight": 1.0}, "reward.funcs.x._target_"),
        (
            {"_target_": "openrs.rewards.accuracy_reward", "max_len": 10},
            "reward.funcs.x.max_len: not a parameter",
        ),
        (
            {"_target_": "openrs.rewards.accuracy_reward", "answer": "7"},
            "reward.funcs.x.answer: not a parameter",
        ),
        ({"_target_": "openrs.rewards.cosine_scaled_reward", "length_unit": "words"}, "length_unit"),
        ({"_target_": "openrs.rewards.repetition_penalty_reward", "max_penalty": 1.0}, "max_penalty"),
        ({"_target_": "openrs.rewards.format_reward", "weight": "high"}, "reward.funcs.x.weight"),
        ("openrs.rewards.format_reward", "reward.funcs.x: expected a mapping"),
    ],
)
def test_bad_entries_fail_with_one_line_naming_the_key(spec: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")) as err:
        build_reward_funcs({"x": spec})
    assert "\n" not in str(err.value)


def test_unknown_parameter_error_lists_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match="allowed: .*prompt_opens_think"):
        build_reward_funcs(
            {"format": {"_target_": "openrs.rewards.think_answer_format_reward", "think": True}}
        )


@pytest.mark.parametrize("path", sorted(CONF_REWARD.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_reward_config_builds(path: Path) -> None:
    cfg = OmegaConf.merge({"trainer": {"max_completion_length": 3584}}, {"reward": OmegaConf.load(path)})
    specs = OmegaConf.to_container(cfg.reward.get("funcs", {}), resolve=True)
    funcs, weights = build_reward_funcs(specs)
    assert len(funcs) == len(weights) > 0
    scores = [
        f(
            ["<think>\nx\n</think>\n<answer>\n\\boxed{1}\n</answer>"],
            answer=["1"],
            solution=["$1$"],
            num_workers=0,
        )
        for f in funcs
    ]
    assert all(len(s) == 1 for s in scores)
    assert pop_reward_metrics()["rewards/time_s"] > 0


def test_every_reward_accepts_the_arguments_trl_passes() -> None:
    specs = {
        name: {"_target_": f"openrs.rewards.{name}", "weight": 1.0}
        for name in (
            "accuracy_reward",
            "format_reward",
            "think_answer_format_reward",
            "tag_count_reward",
            "reasoning_steps_reward",
            "len_reward",
            "cosine_scaled_reward",
            "repetition_penalty_reward",
            "soft_overlong_punishment_reward",
        )
    }
    funcs, _ = build_reward_funcs(specs)
    prompt = [{"role": "user", "content": "What is 1/2 + 1/2?"}]
    completion = [
        {"role": "assistant", "content": "<think>\nAdd.\n</think>\n<answer>\n\\boxed{1}\n</answer>"}
    ]
    trl_kwargs = dict(
        prompts=[prompt, prompt],
        completions=[completion, completion],
        completion_ids=[[1, 2, 3], [1, 2, 3]],
        answer=["1", "2"],
        problem=["What is 1/2 + 1/2?"] * 2,
        solution=["It is $\\boxed{1}$."] * 2,
        level=["1", "1"],
        trainer_state=object(),
        log_extra=lambda *a, **k: None,
        log_metric=lambda *a, **k: None,
    )
    for func in funcs:
        scores = func(**trl_kwargs)
        assert len(scores) == 2, _name(func)
        assert all(s is None or isinstance(s, float) for s in scores), _name(func)


def exploding_reward(completions: list[Any], *, strength: int = 1, **kwargs: Any) -> list[float]:
    """A reward that must not run while the config is checked."""
    raise AssertionError("build_reward_funcs called the reward")


def test_params_are_bound_to_the_signature_without_calling_the_reward() -> None:
    target = f"{__name__}.exploding_reward"
    funcs, _ = build_reward_funcs({"x": {"_target_": target, "_partial_": True, "strength": 3}})
    assert funcs[0].keywords == {"strength": 3}
    with pytest.raises(
        ConfigError, match=r"reward\.funcs\.x\.strenght: not a parameter .* allowed: strength"
    ):
        build_reward_funcs({"x": {"_target_": target, "strenght": 3}})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"checker": "boxd"}, "reward.funcs.x: accuracy_reward: checker must be 'boxed' or 'open_rs'"),
        ({"num_workers": -1}, "num_workers must be an integer >= 0"),
        ({"timeout_s": 0}, "timeout_s must be a positive number"),
    ],
)
def test_bad_values_are_caught_by_the_rewards_own_check(spec: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        build_reward_funcs({"x": {"_target_": "openrs.rewards.accuracy_reward", **spec}})


def test_built_rewards_are_hydra_partials_trl_can_name() -> None:
    from trl.trainer.utils import get_callable_name

    funcs, _ = build_reward_funcs({"acc": {"_target_": "openrs.rewards.accuracy_reward", "_partial_": True}})
    assert get_callable_name(funcs[0]) == "accuracy_reward"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("accuracy_format.yaml", {"accuracy": "solution", "format": None}),
     ("format_cosine.yaml", {"format": None, "cosine": "solution"}),
     ("boxed_accuracy_format.yaml", {"accuracy": "answer", "format": None})],
)  # fmt: skip
def test_each_reward_names_the_gold_column_it_reads(name: str, expected: dict) -> None:
    from openrs.rewards.build import build_named_reward_funcs, gold_column_of

    cfg = OmegaConf.merge(
        {"trainer": {"max_completion_length": 3584}}, {"reward": OmegaConf.load(CONF_REWARD / name)}
    )
    rewards = build_named_reward_funcs(OmegaConf.to_container(cfg.reward.funcs, resolve=True))
    assert {r.name: gold_column_of(r) for r in rewards} == expected
