"""Every bad training value fails before anything loads, in one line naming the key, the value and what is allowed."""

from __future__ import annotations

import pytest

from openrs.config.validate import HUB_STRATEGIES, is_reward_function, validate_train_config
from openrs.errors import ConfigError
from tests.conftest import group_options

# (override, the one-line message it must produce, exactly)
BAD_VALUES = [
    ("optimizer.lr=0", "optimizer.lr=0.0 is not allowed: must be > 0"),
    ("optimizer.lr=-1e-6", "optimizer.lr=-1e-06 is not allowed: must be > 0"),
    ("trainer.temperature=0", "trainer.temperature=0.0 is not allowed: must be > 0"),
    ("trainer.top_p=0", "trainer.top_p=0.0 is not allowed: must be in (0, 1]"),
    ("trainer.top_p=1.5", "trainer.top_p=1.5 is not allowed: must be in (0, 1]"),
    ("trainer.beta=-0.01", "trainer.beta=-0.01 is not allowed: must be >= 0"),
    ("trainer.epsilon=0", "trainer.epsilon=0.0 is not allowed: must be > 0"),
    ("trainer.max_steps=0", "trainer.max_steps=0 is not allowed: must be > 0 (optimizer steps; openrs does not train by epochs)"),
    ("trainer.max_steps=-1", "trainer.max_steps=-1 is not allowed: must be > 0"),
    ("trainer.save_steps=0", "trainer.save_steps=0 is not allowed: must be > 0"),
    ("optimizer.warmup_ratio=1", "optimizer.warmup_ratio=1.0 is not allowed: must be in [0, 1)"),
    ("optimizer.warmup_ratio=-0.1", "optimizer.warmup_ratio=-0.1 is not allowed: must be in [0, 1)"),
    ("trainer.max_completion_length=0", "trainer.max_completion_length=0 is not allowed: must be > 0"),
    ("trainer.num_generations=1", "trainer.num_generations=1 is not allowed: must be >= 2"),
    ("trainer.loss_type=ppo", "trainer.loss_type='ppo' is not allowed: must be one of grpo, dr_grpo, dapo, bnpo"),
    ("trainer.scale_rewards=std", "trainer.scale_rewards='std' is not allowed: must be one of group, batch, none"),
    ("model.dtype=fp16", "model.dtype='fp16' is not allowed: must be one of bfloat16, float16, float32, auto"),
    ("model.attn_implementation=flash", "model.attn_implementation='flash' is not allowed: must be null"),
    ("model.tiny.num_attention_heads=3", "model.tiny.num_attention_heads=3 is not allowed: must divide model.tiny.hidden_size=128"),
    ("model.tiny.num_key_value_heads=3", "model.tiny.num_key_value_heads=3 is not allowed: must divide model.tiny.num_attention_heads=4"),
    ("model.tiny.warmup.steps=0", "model.tiny.warmup.steps=0 is not allowed: must be > 0"),
    ("dataset.max_rows=0", "dataset.max_rows=0 is not allowed: must be null (all) or > 0"),
    ("dataset.long_prompts=cut", "dataset.long_prompts='cut' is not allowed: must be one of drop, truncate"),
    ("run.hub_strategy=every_step", "run.hub_strategy='every_step' is not allowed: must be one of end, every_save, checkpoint, all_checkpoints"),
    ("seed=-1", "seed=-1 is not allowed: must be >= 0"),
    (
        ["reward.funcs.accuracy.weight=0", "reward.funcs.format.weight=0"],
        "reward.funcs: every reward weight is 0 (or there is no reward): GRPO would have nothing to learn from",
    ),
    ("reward.funcs.accuracy.weight=heavy", "reward.funcs.accuracy.weight='heavy' is not allowed: must be a number"),
    ("reward.funcs.accuracy._target_=accuracy_reward", "reward.funcs.accuracy._target_='accuracy_reward' is not allowed: must be a dotted path"),
    ("reward.funcs.accuracy._target_=json.no_such_reward", "reward.funcs.accuracy._target_='json.no_such_reward' cannot be imported (AttributeError"),
    ("reward.funcs.accuracy._target_=no_such_package.reward", "reward.funcs.accuracy._target_='no_such_package.reward' cannot be imported (ModuleNotFoundError"),
    ("reward.funcs.accuracy._target_=os.sep", "reward.funcs.accuracy._target_='os.sep' is not allowed: must name a function taking `completions`"),
    ("reward.funcs.accuracy._target_=os.path.join", "reward.funcs.accuracy._target_='os.path.join' is not allowed: must name a function taking `completions`"),
    ("reward.funcs.accuracy._target_=collections.OrderedDict", "reward.funcs.accuracy._target_='collections.OrderedDict' is not allowed"),
]  # fmt: skip


@pytest.mark.parametrize("overrides, message", BAD_VALUES, ids=[str(case[0]) for case in BAD_VALUES])
def test_bad_value_is_one_line_naming_key_value_and_rule(compose_cfg, overrides, message):
    _, cfg = compose_cfg(overrides if isinstance(overrides, list) else [overrides])
    with pytest.raises(ConfigError) as err:
        validate_train_config(cfg)
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("experiment", [None, *group_options("experiment")])
def test_every_shipped_experiment_passes(compose_cfg, experiment):
    _, cfg = compose_cfg([f"+experiment={experiment}"] if experiment else [])
    validate_train_config(cfg)


@pytest.mark.parametrize("group", ["model", "reward", "optimizer", "trainer"])
def test_every_shipped_option_passes(compose_cfg, group):
    for option in group_options(group):
        _, cfg = compose_cfg(["+experiment=tiny", f"{group}={option}"])
        validate_train_config(cfg)


def test_a_reward_left_out_by_weight_0_is_not_imported(compose_cfg):
    _, cfg = compose_cfg(
        ["reward.funcs.format.weight=0", "reward.funcs.format._target_=no_such_package.reward"]
    )
    validate_train_config(cfg)


@pytest.mark.parametrize(
    "func, is_reward",
    [
        (lambda completions, **kwargs: [0.0] * len(completions), True),
        (lambda prompts, completions: [0.0], True),
        (lambda **kwargs: [0.0], True),
        (lambda x: x, False),
        (dict, False),
        (len, False),
        ("openrs.rewards.accuracy_reward", False),
    ],
)
def test_what_counts_as_a_reward_function(func, is_reward):
    assert is_reward_function(func) is is_reward


def test_hub_strategies_are_those_the_installed_transformers_accepts():
    from transformers.trainer_utils import HubStrategy

    assert set(HUB_STRATEGIES) == {strategy.value for strategy in HubStrategy}
