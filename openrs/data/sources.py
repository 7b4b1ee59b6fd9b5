"""Loading raw rows from the Hub, local files, files shipped in the package, or built-in generators."""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable
from pathlib import Path

from openrs.data.files import LOCAL_SUFFIXES, load_local
from openrs.errors import ConfigError

log = logging.getLogger(__name__)

# "builtin:<file under openrs/data>" (e.g. builtin:train/deepscaler_subset_aime_math.jsonl), or
# "builtin:<dotted path>" of a generator (num_rows, seed) -> rows: no Hub, no user files.
BUILTIN_PREFIX = "builtin:"
GENERATOR_EXAMPLE = BUILTIN_PREFIX + "openrs.data.tiny_math.generate_tiny_math"
PACKAGE_DATA_DIR = Path(__file__).resolve().parent


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


def _is_packaged_file(name: str) -> bool:
    return Path(name).suffix in LOCAL_SUFFIXES


def import_generator(name: str, key: str) -> Callable:
    """The function (count, seed) -> rows that the dotted path `name` names; a one-line error naming `key`."""
    try:
        return _locate_generator(name)
    except ValueError as err:
        raise ConfigError(f"{key}: cannot use '{name}': {err}") from err


def _locate_generator(name: str) -> Callable:
    """The callable `name` (a dotted path) names, checked to take (count, seed); ValueError says why not."""
    module_name, _, attribute = name.rpartition(".")
    if not module_name:
        raise ValueError("not a dotted path")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"cannot import '{module_name}' ({err})") from err
    generate = getattr(module, attribute, None)
    if not callable(generate):
        raise ValueError(f"'{module_name}' has no function '{attribute}'")
    try:
        inspect.signature(generate).bind(0, 0)
    except TypeError as err:
        raise ValueError(f"'{name}' must take (count, seed): {err}") from err
    return generate


def check_builtin(path: str) -> Callable | None:
    """Fail in one line unless `path` names a file shipped in the package or an importable generator.

    Returns the generator, or None for a packaged file.
    """
    name = path[len(BUILTIN_PREFIX) :]
    if _is_packaged_file(name):
        if (PACKAGE_DATA_DIR / name).is_file():
            return None
        reason = "no such packaged file"
    else:
        try:
            return _locate_generator(name)
        except ValueError as err:
            reason = str(err)
    raise ConfigError(
        f"unknown builtin dataset '{path}': {reason}; expected a generator's dotted path "
        f"(e.g. {GENERATOR_EXAMPLE}) or a packaged file {packaged_files()}"
    )


def load_rows(path: str, split: str, num_rows: int, seed: int):
    """Load a `datasets.Dataset` from a builtin generator or file, a local file/folder or a Hub id."""
    import datasets

    if path.startswith(BUILTIN_PREFIX):
        generate = check_builtin(path)
        if generate is not None:
            return datasets.Dataset.from_list(generate(num_rows, seed))
        return load_local(PACKAGE_DATA_DIR / path[len(BUILTIN_PREFIX) :])
    if is_local_path(path):
        return load_local(Path(path).expanduser())
    log.info("loading %s (split %s) from the Hugging Face Hub", path, split)
    return datasets.load_dataset(path, split=split)
