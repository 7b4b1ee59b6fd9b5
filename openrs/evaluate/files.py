"""Reading what evaluation is given, failing in one line that names the file: row columns and model dirs."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from openrs.errors import ConfigError

WEIGHT_INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")


def column(row: dict, name: str, types: type | tuple[type, ...], where: str) -> object:
    """`row[name]`, or ConfigError naming `where` (file:line) when it is missing, null or of another type."""
    if name not in row:
        raise ConfigError(f"{where}: no '{name}' column")
    value = row[name]
    if value is None:
        raise ConfigError(f"{where}: '{name}' is null")
    if isinstance(value, bool) or not isinstance(value, types):
        allowed = types if isinstance(types, tuple) else (types,)
        raise ConfigError(
            f"{where}: '{name}' must be {' or '.join(t.__name__ for t in allowed)}, got {type(value).__name__}"
        )
    return value


def _weight_files(model_dir: Path) -> list[Path]:
    for index_name in WEIGHT_INDEXES:
        index = model_dir / index_name
        if index.is_file():
            try:
                shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
                raise ConfigError(f"{index} is not a valid weight index; re-save the model") from None
            return [model_dir / shard for shard in shards]
    return sorted([*model_dir.glob("*.safetensors"), *model_dir.glob("pytorch_model*.bin")])


def check_weight_file(path: Path) -> None:
    """ConfigError when a safetensors or torch weight file is missing, truncated or not what it claims."""
    if not path.is_file():
        raise ConfigError(f"{path} is missing (the weight index lists it); re-save the model")
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="numpy"):
                pass
        except (SafetensorError, OSError) as err:
            raise ConfigError(
                f"{path} is truncated or corrupt ({err}); re-save it, or evaluate another checkpoint"
            ) from None
    elif path.suffix == ".bin":
        try:
            with zipfile.ZipFile(path):
                pass  # torch's format is a zip whose directory sits at the end: a cut file has none
        except (zipfile.BadZipFile, OSError) as err:
            raise ConfigError(
                f"{path} is truncated or corrupt ({err}); re-save it, or evaluate another checkpoint"
            ) from None


def check_model_dir(model_dir: str | Path) -> None:
    """ConfigError naming the file when a local model dir's config.json or weights cannot be loaded."""
    model_dir = Path(model_dir)
    config = model_dir / "config.json"
    try:
        json.loads(config.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{config} is not valid JSON ({err}); re-save the model") from None
    weights = _weight_files(model_dir)
    if not weights:
        raise ConfigError(f"{model_dir} has config.json but no weights (*.safetensors or pytorch_model*.bin)")
    for path in weights:
        check_weight_file(path)
