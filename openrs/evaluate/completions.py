"""Scored completions as one JSONL file per benchmark: appended as they come, read back to resume."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from openrs.errors import ConfigError

log = logging.getLogger(__name__)

COMPLETIONS_DIR = "completions"
PROTOCOL_FILE = "protocol.json"


def completion_seed(seed: int, benchmark: str, problem_id: str, sample: int) -> int:
    """A seed for one completion, fixed by the run seed and the item (stable across runs and resumes)."""
    digest = hashlib.sha256(f"{seed}:{benchmark}:{problem_id}:{sample}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


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
            before = json.loads(path.read_text())
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
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                log.warning("skipping malformed line %d of %s", number, path)
                continue
            rows[(str(row["id"]), int(row["sample"]))] = row
        return rows

    def append(self, benchmark: str, rows: list[dict]) -> None:
        """Append rows and flush them to disk, so that an interrupted run loses at most one chunk."""
        if not rows:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        with self.path(benchmark).open("a", encoding="utf-8") as f:
            f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
            f.flush()
