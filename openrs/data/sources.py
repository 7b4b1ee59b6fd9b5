"""Loading raw rows from the Hub, local files, files shipped in the package, or built-in generators."""

from __future__ import annotations

import difflib
import importlib
import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from openrs.data.files import LOCAL_SUFFIXES, load_local
from openrs.errors import ConfigError

log = logging.getLogger(__name__)

# "builtin:<file under openrs/data>" (e.g. builtin:train/deepscaler_subset_aime_math.jsonl), or
# "builtin:<dotted path>" of a generator (num_rows, seed) -> rows: no Hub, no user files.
BUILTIN_PREFIX = "builtin:"
GENERATOR_EXAMPLE = BUILTIN_PREFIX + "openrs.data.tiny_math.generate_tiny_math"
PACKAGE_DATA_DIR = Path(__file__).resolve().parent
# Names datasets often give what openrs calls `problem`, `answer` and `solution`: a missing column's fix.
COMMON_COLUMNS = {
    "problem": ("question", "prompt", "query", "input", "instruction"),
    "answer": ("final_answer", "gold", "ground_truth", "label", "target", "final"),
    "solution": ("reasoning", "rationale", "explanation", "output", "response"),
}


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


def describe_source(path: str) -> str:
    """How an error names a source: the user's file, a packaged file or generator, or a Hub dataset."""
    if path.startswith(BUILTIN_PREFIX):
        return f"dataset {path}"
    return f"dataset file {path}" if is_local_path(path) else f"Hub dataset {path}"


def _guess_column(canonical: str, candidates: Sequence[str]) -> str | None:
    """The column of `candidates` most likely holding `canonical`: a common name, a close spelling, or
    the only one there is."""
    common = [c for c in candidates if c.lower() in COMMON_COLUMNS.get(canonical, ())]
    if common:
        return min(common, key=lambda c: COMMON_COLUMNS[canonical].index(c.lower()))
    close = difflib.get_close_matches(canonical, list(candidates), n=1, cutoff=0.6)
    if close:
        return close[0]
    return candidates[0] if len(candidates) == 1 and canonical != "solution" else None


def missing_columns_error(
    where: str, wanted: Mapping[str, str], available: Sequence[str], keys: str = "dataset"
) -> ConfigError:
    """One line naming the source, each missing column with its config key, and overrides that fix it.

    `wanted` maps the source's column names to openrs's (`problem`, `answer`, `solution`); `keys` is
    where their `<canonical>_column` keys live (`dataset`, or `dataset.mix.<name>`, added with `++`).
    """
    missing = {column: canonical for column, canonical in wanted.items() if column not in available}
    free = [c for c in available if c not in wanted]
    plus = "++" if keys != "dataset" else ""
    named, fixes = [], []
    for column, canonical in missing.items():
        named.append(f"'{column}' ({keys}.{canonical}_column)")
        guess = _guess_column(canonical, free)
        if guess is not None:
            free.remove(guess)
        elif canonical == "solution":
            guess = "null"  # rewards that read worked solutions then say so
        fixes.append(f"{plus}{keys}.{canonical}_column={guess or '<one of its columns>'}")
    return ConfigError(
        f"{where} has no column {' or '.join(named)}; its columns: {', '.join(available) or 'none'}; "
        f"name yours with {' '.join(fixes)}"
    )
