"""Loading raw rows from the Hub, local files, files shipped in the package, or built-in generators."""

from __future__ import annotations

import logging
from pathlib import Path

from openrs.errors import ConfigError

log = logging.getLogger(__name__)

# "builtin:<generator>" (e.g. builtin:tiny_math) or "builtin:<file under openrs/data>"
# (e.g. builtin:train/deepscaler_subset_aime_math.jsonl): shipped with openrs, no Hub, no user files.
BUILTIN_PREFIX = "builtin:"
PACKAGE_DATA_DIR = Path(__file__).resolve().parent
LOCAL_SUFFIXES = {".jsonl": "json", ".json": "json", ".parquet": "parquet"}


def _generators() -> dict:
    from openrs.data.tiny_math import generate_tiny_math
    from openrs.micro_repro.task import generate_micro_arith

    return {"tiny_math": generate_tiny_math, "micro_arith": generate_micro_arith}


def is_local_path(path: str) -> bool:
    """True when `path` names a local file or folder rather than a Hub id."""
    return (
        path.startswith(("/", "./", "../", "~"))
        or Path(path).suffix in LOCAL_SUFFIXES
        or Path(path).expanduser().exists()
    )


def packaged_files() -> list[str]:
    """The data files shipped in the package, as `builtin:` paths."""
    return sorted(
        BUILTIN_PREFIX + p.relative_to(PACKAGE_DATA_DIR).as_posix()
        for p in PACKAGE_DATA_DIR.rglob("*")
        if p.suffix in LOCAL_SUFFIXES
    )


def check_builtin(path: str) -> None:
    """Fail in one line unless `path` is a known generator or a file shipped in the package."""
    name = path[len(BUILTIN_PREFIX) :]
    if name in _generators() or (Path(name).suffix in LOCAL_SUFFIXES and (PACKAGE_DATA_DIR / name).is_file()):
        return
    known = [BUILTIN_PREFIX + g for g in sorted(_generators())] + packaged_files()
    raise ConfigError(f"unknown builtin dataset '{path}'; expected one of {known}")


def load_rows(path: str, split: str, num_rows: int, seed: int):
    """Load a `datasets.Dataset` from a builtin generator or file, a local file/folder or a Hub id."""
    import datasets

    if path.startswith(BUILTIN_PREFIX):
        check_builtin(path)
        name = path[len(BUILTIN_PREFIX) :]
        if name in _generators():
            return datasets.Dataset.from_list(_generators()[name](num_rows, seed))
        return _load_local(PACKAGE_DATA_DIR / name)
    if is_local_path(path):
        return _load_local(Path(path).expanduser())
    log.info("loading %s (split %s) from the Hugging Face Hub", path, split)
    return datasets.load_dataset(path, split=split)


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
