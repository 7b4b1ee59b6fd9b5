"""The policy model and tokenizer: loaded from the Hub or a path, or built tiny and local."""

from openrs.models.loading import build_tokenizer, load_tokenizer, model_source

__all__ = ["build_tokenizer", "load_tokenizer", "model_source"]
