"""Training data (sources, mixes, prompts, filters) and the packaged evaluation benchmarks."""

from openrs.data.benchmarks import BENCHMARKS, load_benchmark
from openrs.data.build import build_train_dataset

__all__ = ["BENCHMARKS", "build_train_dataset", "load_benchmark"]
