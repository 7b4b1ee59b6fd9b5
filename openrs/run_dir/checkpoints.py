"""A run dir's `checkpoints/checkpoint-N` folders: their steps, and which can be resumed from."""

from __future__ import annotations

import json
import logging
import re
import struct
import zipfile
from pathlib import Path

from openrs.run_dir.layout import CHECKPOINT_PREFIX, RunDir

log = logging.getLogger(__name__)

TRAINER_STATE_FILE = "trainer_state.json"  # transformers.trainer.TRAINER_STATE_NAME: written last
CHECKPOINT_NAME = re.compile(re.escape(CHECKPOINT_PREFIX) + r"(\d+)")
TORCH_SUFFIXES = (".pt", ".pth", ".bin")  # torch.save's zip archives: optimizer, scheduler, RNG state


def checkpoint_step(path: str | Path | None) -> int | None:
    """The step a `checkpoint-N` folder was saved at; None for anything else."""
    match = CHECKPOINT_NAME.fullmatch(Path(path).name) if path else None
    return int(match.group(1)) if match else None


def checkpoint_dirs(run_dir: str | Path) -> list[Path]:
    """Every `checkpoint-N` folder of the run dir, complete or not, in step order."""
    root = RunDir(run_dir).checkpoints
    found = [p for p in root.glob(CHECKPOINT_PREFIX + "*") if p.is_dir() and checkpoint_step(p) is not None]
    return sorted(found, key=checkpoint_step)


def trainer_state(checkpoint: str | Path) -> dict:
    """The checkpoint's trainer_state.json (global_step, max_steps, log_history, ...)."""
    return json.loads((Path(checkpoint) / TRAINER_STATE_FILE).read_text())


def checkpoint_problem(checkpoint: str | Path) -> str | None:
    """Why training cannot resume from `checkpoint` (naming the file), or None when it can.

    Transformers writes trainer_state.json last, so a job killed while saving leaves a folder without
    it; a full disk or an interrupted copy leaves a weights or optimizer file cut short.
    """
    checkpoint = Path(checkpoint)
    try:
        if "global_step" not in trainer_state(checkpoint):
            return f"{TRAINER_STATE_FILE} has no global_step"
    except FileNotFoundError:
        return f"no {TRAINER_STATE_FILE} (the job stopped while saving it)"
    except (OSError, ValueError):
        return f"{TRAINER_STATE_FILE} is half written"
    for path in sorted(checkpoint.rglob("*")):
        if path.suffix == ".safetensors":
            problem = _safetensors_problem(path)
        elif path.suffix in TORCH_SUFFIXES:
            problem = _torch_file_problem(path)
        else:
            continue
        if problem:
            return f"{path.relative_to(checkpoint)} {problem}"
    return None


def last_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest checkpoint training can resume from; each newer, broken one is skipped, saying why."""
    skipped = []
    found = None
    for path in reversed(checkpoint_dirs(run_dir)):
        problem = checkpoint_problem(path)
        if problem is None:
            found = path
            break
        skipped.append((path, problem))
    for path, problem in skipped:
        log.warning(
            "cannot resume from %s: %s; resuming from %s instead (delete %s once you no longer need it)",
            path, problem, found.name if found else "step 0", path.name,
        )  # fmt: skip
    return found


def _safetensors_problem(path: Path) -> str | None:
    """A safetensors file is an 8-byte header length, a JSON header, then the tensors it locates."""
    size = path.stat().st_size
    try:
        with path.open("rb") as fh:
            (header_len,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(header_len)) if 8 + header_len <= size else None
    except (OSError, struct.error, ValueError):
        header = None
    if header is None:
        return f"is truncated or not a safetensors file ({size} bytes)"
    ends = [t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"]
    expected = 8 + header_len + max(ends, default=0)
    if size < expected:
        return f"is truncated ({size} of {expected} bytes)"
    return None


def _torch_file_problem(path: Path) -> str | None:
    """torch.save writes a zip archive whose directory is at its end: a cut-short file has none."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as err:
        return f"cannot be read ({err.strerror})"
    if magic[:1] == b"\x80":  # torch's legacy (pre-zip) format: nothing cheap to check
        return None
    try:
        with zipfile.ZipFile(path):
            return None
    except (zipfile.BadZipFile, OSError):
        return f"is truncated ({path.stat().st_size} bytes, no zip directory)"
