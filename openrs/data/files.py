"""Local data files (.jsonl, .json, .parquet) and the types of their columns, every problem named in one line.

`datasets` reports a malformed file deep inside Arrow, without the file or line; these checks say which
file, which line or row, and what to do before any model loads.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from openrs.errors import ConfigError
from openrs.jsonl import parse_json_lines

log = logging.getLogger(__name__)

LOCAL_SUFFIXES = {".jsonl": "json", ".json": "json", ".parquet": "parquet"}
TEXT_TYPES = {"string", "large_string"}
NUMBER_TYPES = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                "float16", "float32", "float64"}  # fmt: skip


def load_local(path: Path):
    """A `datasets.Dataset` of one local file or a folder of files of one kind; ConfigError naming the file."""
    import datasets

    if not path.exists():
        raise ConfigError(f"dataset file not found: {path}")
    files = sorted(p for p in path.rglob("*") if p.suffix in LOCAL_SUFFIXES) if path.is_dir() else [path]
    kinds = {LOCAL_SUFFIXES.get(p.suffix) for p in files}
    if not files or None in kinds or len(kinds) > 1:
        raise ConfigError(
            f"dataset path {path} must be one .jsonl/.json/.parquet file or a folder of one such kind"
        )
    kind = kinds.pop()
    if kind == "json":
        for file in files:
            check_json_file(file)
    log.info("loading %d local file(s) from %s", len(files), path)
    try:
        ds = datasets.load_dataset(kind, data_files=[str(p) for p in files], split="train")
    except Exception as err:  # Arrow's and datasets' errors alike: say which file, in one line
        cause = err.__cause__ or err
        what = "is not a valid parquet file" if kind == "parquet" else "cannot be read"
        raise ConfigError(f"dataset file {_one(files)} {what}: {_first_line(cause)}") from err
    if len(ds) == 0:
        raise ConfigError(f"dataset file {_one(files)} has no rows")
    return ds


def check_json_file(path: Path) -> None:
    """A .jsonl (or .json) file holds JSON objects whose keys keep one type; else one line naming the line."""
    text = path.read_text(errors="replace")
    if not text.strip():
        raise ConfigError(f"dataset file {path} is empty; give a file with one JSON object per line")
    if path.suffix == ".json" and text.lstrip()[:1] in "[{":
        try:  # a JSON array of objects (or one object of columns), as `datasets` also reads
            rows = json.loads(text)
        except json.JSONDecodeError:
            rows = None  # maybe JSON Lines after all: checked line by line below
        if isinstance(rows, list):
            _check_rows(path, ((i, row, "item") for i, row in enumerate(rows, 1)))
        if rows is not None:
            return
    lines = parse_json_lines(text, path, objects=False, where="dataset file {path}, line {line}")
    _check_rows(path, ((number, row, "line") for number, row in lines))


def _check_rows(path: Path, rows) -> None:
    """Each row is an object, and each key holds one JSON type throughout (null allowed anywhere)."""
    first_seen: dict[str, tuple[str, int]] = {}
    for number, row, unit in rows:
        if not isinstance(row, dict):
            raise ConfigError(
                f"dataset file {path}, {unit} {number}: expected a JSON object, got {_json_type(row)}"
            )
        for key, value in row.items():
            kind = _json_type(value)
            if kind == "null":
                continue
            seen = first_seen.setdefault(key, (kind, number))
            if seen[0] != kind:
                raise ConfigError(
                    f"dataset file {path}, {unit} {number}: column '{key}' is {kind} here but {seen[0]} in "
                    f"{unit} {seen[1]}; give the column one type"
                )


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"  # Arrow widens int and float to one type
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def check_column_types(ds, columns: dict[str, str], where: str) -> None:
    """Each named column holds text (`"text"`) or text or numbers (`"answer"`), with no null text."""
    import datasets

    for column, kind in columns.items():
        feature = ds.features[column]
        dtype = feature.dtype if isinstance(feature, datasets.Value) else type(feature).__name__
        allowed = TEXT_TYPES | (NUMBER_TYPES | {"null"} if kind == "answer" else set())
        if dtype not in allowed:
            expected = "text or a number" if kind == "answer" else "text"
            raise ConfigError(f"{where}: column '{column}' holds {dtype} values, expected {expected}")
        if kind == "text":
            missing = next((i for i, value in enumerate(ds[column]) if value is None), None)
            if missing is not None:
                raise ConfigError(
                    f"{where}: column '{column}' is null in row {missing + 1}; fill it or drop that row"
                )


def _one(files: list[Path]) -> str:
    return str(files[0]) if len(files) == 1 else f"{files[0].parent} ({len(files)} files)"


def _first_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__
