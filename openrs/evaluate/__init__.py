"""Scores models on the paper's five benchmarks: `python -m openrs.evaluate model_path=...`."""

from openrs.evaluate.config import EvalConfig, ProtocolConfig, register_eval_configs
from openrs.evaluate.metrics import benchmark_metrics, majority_correct, pass_at_k
from openrs.evaluate.runner import evaluate

__all__ = [
    "EvalConfig",
    "ProtocolConfig",
    "benchmark_metrics",
    "evaluate",
    "majority_correct",
    "pass_at_k",
    "register_eval_configs",
]
