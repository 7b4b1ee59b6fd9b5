"""Training data: sources (Hub, files, built-in generators), prompts and filters."""

from openrs.data.build import build_train_dataset

__all__ = ["build_train_dataset"]
