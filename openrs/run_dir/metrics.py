"""metrics.jsonl: one JSON object per logged step, appended as training goes, kept whole across kills."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from openrs.jsonl import json_line, read_json_lines_skipping, rewrite_json_lines

log = logging.getLogger(__name__)


def read_metrics_rows(path: str | Path) -> tuple[list[dict], int]:
    """The rows of a metrics.jsonl, and how many lines could not be parsed (a half-written last one)."""
    return read_json_lines_skipping(path)


def read_metrics(path: str | Path) -> list[dict]:
    """The rows of a metrics.jsonl, skipping (with a warning) lines that are not JSON objects."""
    rows, skipped = read_metrics_rows(path)
    if skipped:
        log.warning("skipping %d malformed line(s) in %s", skipped, path)
    return rows


def append_metrics(path: str | Path, row: dict) -> None:
    """Append one row as a line; a previous line left without its newline by a kill is ended first."""
    path = Path(path)
    with path.open("ab+") as fh:
        fh.seek(0, os.SEEK_END)
        needs_newline = False
        if fh.tell():
            fh.seek(-1, os.SEEK_END)
            needs_newline = fh.read(1) != b"\n"
        fh.write((("\n" if needs_newline else "") + json_line(row)).encode())


def trim_metrics(path: str | Path, last_step: int) -> int:
    """Keep only the rows of `path` up to `last_step` and drop unparseable lines; returns how many are kept.

    A row that is whole but lost its newline to a kill is kept: only what cannot be read is dropped.
    """
    path = Path(path)
    if not path.exists():
        return 0
    kept = [row for row in read_metrics(path) if row.get("step", 0) <= last_step]
    rewrite_json_lines(path, kept)
    return len(kept)
