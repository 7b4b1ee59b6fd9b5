"""openrs: Hydra-configured GRPO experiments reproducing Open RS (arXiv 2503.16219)."""

__version__ = "0.1.0"
