"""JSON Lines files, read and written one way everywhere: a bad line is one error naming file and line."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from openrs.errors import ConfigError

FIX_LINE = "fix or delete that line"


def parse_json_lines(
    text: str,
    path: str | Path,
    *,
    advice: str = FIX_LINE,
    objects: bool = True,
    where: str = "{path}:{line}",
) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line of `text`; ConfigError naming the first bad line.

    `where` formats the place (`{path}`, `{line}`) the error names; with `objects`, a line holding
    anything but a JSON object is an error too.
    """
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        place = where.format(path=path, line=number)
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{place}: not valid JSON ({err.msg}, column {err.colno}); {advice}") from None
        if objects and not isinstance(value, dict):
            raise ConfigError(f"{place}: expected a JSON object, got {type(value).__name__}; {advice}")
        yield number, value


def read_json_lines(path: str | Path, *, advice: str = FIX_LINE) -> list[tuple[int, dict]]:
    """(line number, object) for each non-blank line of the file; ConfigError if it cannot be read or parsed."""
    return list(parse_json_lines(read_text(path), path, advice=advice))


def read_json_lines_skipping(path: str | Path) -> tuple[list[dict], int]:
    """The objects of a file that may hold half-written lines, and how many lines were not objects.

    For files written while a process may be killed (metrics.jsonl): a missing file has no rows.
    """
    rows, bad_lines = read_json_lines_numbered(path)
    return [row for _, row in rows], len(bad_lines)


def read_json_lines_numbered(path: str | Path) -> tuple[list[tuple[int, dict]], list[int]]:
    """(line number, object) for each line of the file holding a JSON object, and the numbers of the
    other non-blank lines (half-written, or not objects); a missing file has none."""
    path = Path(path)
    if not path.is_file():
        return [], []
    rows, bad_lines = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            row = None
        if isinstance(row, dict):
            rows.append((number, row))
        else:
            bad_lines.append(number)
    return rows, bad_lines


def read_text(path: str | Path) -> str:
    """A file's UTF-8 text, or ConfigError in one line saying why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path} not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path} cannot be read ({type(err).__name__}: {err})") from None


def json_line(row: dict) -> str:
    """One row as a line of JSON Lines (non-ASCII text kept as it is)."""
    return json.dumps(row, ensure_ascii=False) + "\n"


def rewrite_json_lines(path: str | Path, rows: Iterable[dict]) -> None:
    """Replace a file's rows through a temporary file: a kill during the rewrite leaves the old file whole."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.writelines(json_line(row) for row in rows)
    os.replace(tmp, path)
