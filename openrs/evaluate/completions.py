"""Scored completions as one JSONL file per benchmark: appended as they come, read back to resume."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from openrs.errors import ConfigError
from openrs.jsonl import json_line, parse_json_lines, rewrite_json_lines

log = logging.getLogger(__name__)

COMPLETIONS_DIR = "completions"
PROTOCOL_FILE = "protocol.json"


def completion_seed(seed: int, benchmark: str, problem_id: str, sample: int) -> int:
    """A seed for one completion, fixed by the run seed and the item (stable across runs and resumes)."""
    digest = hashlib.sha256(f"{seed}:{benchmark}:{problem_id}:{sample}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


# The columns a stored row needs, with their types: the rest is informative.
ROW_COLUMNS = {
    "id": (str, int),
    "sample": int,
    "completion": str,
    "completion_tokens": int,
    "finish_reason": str,
    "verdict": str,
    "correct": bool,
}


REGENERATE = "delete that line (or the file) and it is generated again"


def check_row(row: dict, where: str) -> dict:
    """A stored row with the columns it needs, or ConfigError naming `where` (file:line) and what to do."""
    for name, types in ROW_COLUMNS.items():
        value = row.get(name)
        allowed = types if isinstance(types, tuple) else (types,)
        if (
            value is None
            or (isinstance(value, bool) and bool not in allowed)
            or not isinstance(value, allowed)
        ):
            got = "missing" if name not in row else type(value).__name__
            raise ConfigError(
                f"{where}: '{name}' must be {' or '.join(t.__name__ for t in allowed)}, got {got}; {REGENERATE}"
            )
    if "answer" in row and row["answer"] is not None and not isinstance(row["answer"], str):
        raise ConfigError(f"{where}: 'answer' must be a string or null; {REGENERATE}")
    return row


class CompletionStore:
    """`<target_dir>/completions/<benchmark>.jsonl`: one row per (problem id, sample)."""

    def __init__(self, target_dir: str | Path) -> None:
        self.target_dir = Path(target_dir)
        self.dir = self.target_dir / COMPLETIONS_DIR

    def path(self, benchmark: str) -> Path:
        """The JSONL file of one benchmark."""
        return self.dir / f"{benchmark}.jsonl"

    def check_protocol(self, protocol: dict) -> None:
        """Record the generation settings, or refuse to mix completions made under other ones."""
        path = self.target_dir / PROTOCOL_FILE
        if path.exists():
            try:
                before = json.loads(path.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise ConfigError(f"{path} is not valid JSON; evaluate into a new run dir") from None
            if not isinstance(before, dict):
                raise ConfigError(f"{path} is not a JSON object; evaluate into a new run dir")
            for key in sorted(set(before) | set(protocol)):
                if before.get(key) != protocol.get(key):
                    raise ConfigError(
                        f"{self.target_dir} holds completions made with {key}={before.get(key)!r}, not "
                        f"{protocol.get(key)!r}; evaluate into a new run dir"
                    )
            return
        self.target_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(protocol, indent=2) + "\n")

    def load(self, benchmark: str) -> dict[tuple[str, int], dict]:
        """Rows already written, keyed by (problem id, sample); a half-written last line is cut off."""
        path = self.path(benchmark)
        if not path.exists():
            return {}
        text = path.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):
            # Interrupted mid-write: cut the partial line so that the next append starts a clean one.
            log.warning("dropping a half-written last line of %s", path)
            text = text[: text.rfind("\n") + 1]
            path.write_text(text, encoding="utf-8")
        rows: dict[tuple[str, int], dict] = {}
        rejected: list[str] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                [(_, row)] = parse_json_lines(line, path, advice=REGENERATE, where=f"{path}:{number}")
                check_row(row, f"{path}:{number}")
            except ConfigError as err:
                # One bad row costs one completion, generated again; the line itself is kept aside, not lost.
                log.warning(
                    "%s; generated again (the line is kept in %s)", err, self.rejected_path(benchmark)
                )
                rejected.append(line)
                continue
            rows[(str(row["id"]), int(row["sample"]))] = row
        if rejected:
            with self.rejected_path(benchmark).open("a", encoding="utf-8") as f:
                f.writelines(line + "\n" for line in rejected)
            self.rewrite(benchmark, list(rows.values()))
        return rows

    def rejected_path(self, benchmark: str) -> Path:
        """Where rows that could not be read are set aside."""
        return self.dir / f"{benchmark}.rejected.jsonl"

    def rewrite(self, benchmark: str, rows: list[dict]) -> None:
        """Replace a benchmark's rows (after re-scoring) through a temporary file, so no row is lost."""
        rewrite_json_lines(self.path(benchmark), rows)

    def append(self, benchmark: str, rows: list[dict]) -> None:
        """Append rows and flush them to disk, so that an interrupted run loses at most one chunk."""
        if not rows:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        with self.path(benchmark).open("a", encoding="utf-8") as f:
            f.writelines(json_line(row) for row in rows)
            f.flush()
