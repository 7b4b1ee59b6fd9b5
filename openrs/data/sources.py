"""Loading raw rows from the Hub, local files or built-in generators."""

from __future__ import annotations

import logging
from pathlib import Path

from openrs.errors import ConfigError

log = logging.getLogger(__name__)

BUILTIN_PREFIX = "builtin:"
LOCAL_SUFFIXES = {".jsonl": "json", ".json": "json", ".parquet": "parquet"}


def is_local_path(path: str) -> bool:
    """True when `path` names a local file or folder rather than a Hub id."""
    return path.startswith(("/", "./", "../", "~")) or Path(path).expanduser().exists()


def load_rows(path: str, split: str, num_rows: int, seed: int):
    """Load a `datasets.Dataset` from a builtin generator, a local file/folder or a Hub id."""
    import datasets

    if path.startswith(BUILTIN_PREFIX):
        return datasets.Dataset.from_list(_builtin_rows(path[len(BUILTIN_PREFIX) :], num_rows, seed))
    if is_local_path(path):
        return _load_local(Path(path).expanduser())
    return datasets.load_dataset(path, split=split)


def _builtin_rows(name: str, num_rows: int, seed: int) -> list[dict]:
    from openrs.data.tiny_math import generate_tiny_math

    generators = {"tiny_math": generate_tiny_math}
    if name not in generators:
        raise ConfigError(f"unknown builtin dataset '{name}'; expected one of {sorted(generators)}")
    return generators[name](num_rows, seed)


def _load_local(path: Path):
    import datasets

    if not path.exists():
        raise ConfigError(f"dataset file not found: {path}")
    files = sorted(p for p in path.rglob("*") if p.suffix in LOCAL_SUFFIXES) if path.is_dir() else [path]
    kinds = {LOCAL_SUFFIXES.get(p.suffix) for p in files}
    if not files or None in kinds or len(kinds) > 1:
        raise ConfigError(
            f"dataset path {path} must be one .jsonl/.json/.parquet file or a folder of one such kind"
        )
    log.info("loading %d local file(s) from %s", len(files), path)
    return datasets.load_dataset(kinds.pop(), data_files=[str(p) for p in files], split="train")
