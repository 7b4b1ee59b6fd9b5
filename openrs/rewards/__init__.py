"""TRL reward functions for math reasoning, chosen and weighted from the `reward` config group."""

from openrs.rewards.accuracy import accuracy_reward, cosine_scaled_reward
from openrs.rewards.answers import Verdict, extract_boxed_answer
from openrs.rewards.build import build_reward_funcs
from openrs.rewards.format import (
    format_reward,
    reasoning_steps_reward,
    tag_count_reward,
    think_answer_format_reward,
)
from openrs.rewards.length import len_reward, soft_overlong_punishment_reward
from openrs.rewards.pool import check_answers
from openrs.rewards.repetition import repetition_penalty_reward
from openrs.rewards.stats import pop_reward_metrics

__all__ = [
    "Verdict",
    "check_answers",
    "extract_boxed_answer",
    "accuracy_reward",
    "build_reward_funcs",
    "cosine_scaled_reward",
    "format_reward",
    "len_reward",
    "pop_reward_metrics",
    "reasoning_steps_reward",
    "repetition_penalty_reward",
    "soft_overlong_punishment_reward",
    "tag_count_reward",
    "think_answer_format_reward",
]
