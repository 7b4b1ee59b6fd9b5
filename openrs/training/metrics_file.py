"""The metrics.jsonl file name, importable without transformers (the report reads it too)."""

METRICS_FILE = "metrics.jsonl"
