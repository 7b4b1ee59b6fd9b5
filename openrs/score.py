"""Score completions with a preset's rewards: `python -m openrs.score +experiment=exp3 input=in.jsonl output=out.jsonl`.

Each input line is a JSON object with `completion` (a string) and the dataset's columns the rewards
read (`solution` for Open RS's checks, `answer` for openrs's, `problem`...). Each output line, in input
order, is that object plus `rewards` ({reward name: value or null}) and `reward` (their weighted sum,
as TRL sums them: a null is left out; null when all are). Nothing but the rewards runs: no model, no Hub.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from openrs.cli import hydra_command, setup_logging
from openrs.commands import SCORE
from openrs.config.schema import TrainConfig
from openrs.config.store import register_configs
from openrs.errors import ConfigError
from openrs.jsonl import json_line, read_json_lines
from openrs.rewards.build import NamedReward, build_named_reward_funcs, gold_column_of

log = logging.getLogger("openrs.score")


@dataclass
class ScoreConfig(TrainConfig):
    """The training config (for its `reward` group and presets) plus the files to read and write."""

    input: str = MISSING
    output: str = MISSING


register_configs()
ConfigStore.instance().store(name="base_score", node=ScoreConfig)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file; ConfigError naming the file (and line) if it cannot be read."""
    if not path.is_file():
        raise ConfigError(f"input={path}: no such file")
    rows = [row for _, row in read_json_lines(path)]
    if not rows:
        raise ConfigError(f"{path}: no rows to score")
    return rows


def check_columns(rows: Sequence[dict[str, Any]], path: Path, rewards: Sequence[NamedReward]) -> None:
    """ConfigError naming the first row without a string `completion` or a column a reward reads."""
    needed = {"completion": "the completion to score, a string"}
    for reward in rewards:
        column = gold_column_of(reward)
        if column is not None:
            needed.setdefault(column, f"the reward '{reward.name}' reads its gold from it")
    for number, row in enumerate(rows, 1):
        for column, why in needed.items():
            if column not in row:
                raise ConfigError(
                    f"{path}: row {number} has no '{column}' column ({why}); it has: {', '.join(row)}"
                )
        if not isinstance(row["completion"], str):
            raise ConfigError(
                f"{path}: row {number}: 'completion' must be a string, got {type(row['completion']).__name__}"
            )


def score_rows(rows: Sequence[dict[str, Any]], rewards: Sequence[NamedReward]) -> list[dict[str, Any]]:
    """Each row plus `rewards` and their weighted sum `reward`, the rewards called on all rows at once as TRL calls them."""
    columns = {key for row in rows for key in row if key != "completion"}
    batch = {key: [row.get(key) for row in rows] for key in columns}
    prompts = [row.get("prompt", row.get("problem")) for row in rows]
    completions = [row["completion"] for row in rows]
    values = {r.name: r.func(prompts=prompts, completions=completions, **batch) for r in rewards}
    scored = []
    for i, row in enumerate(rows):
        per_reward = {name: values[name][i] for name in values}
        present = [(r.weight, per_reward[r.name]) for r in rewards if per_reward[r.name] is not None]
        total = sum(weight * value for weight, value in present) if present else None
        scored.append({**row, "rewards": per_reward, "reward": total})
    return scored


def write_rows(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write the rows as JSONL (the parent directory is created); ConfigError if it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            out.writelines(json_line(row) for row in rows)
    except OSError as err:
        raise ConfigError(f"output={path}: cannot write ({err.strerror or err})") from None


@hydra_command(SCORE)  # openrs.cli: own --help, user errors (Hydra's too) in one line, exit 2
def main(cfg: DictConfig) -> None:
    """Build the configured rewards, score every input row, write the scored rows."""
    setup_logging()
    specs = OmegaConf.to_container(cfg.reward.funcs, resolve=True)
    rewards = build_named_reward_funcs(specs)
    if not rewards:
        raise ConfigError("reward.funcs: no reward with a non-zero weight to score with")
    source, target = Path(cfg.input), Path(cfg.output)
    rows = read_rows(source)
    check_columns(rows, source, rewards)
    scored = score_rows(rows, rewards)
    write_rows(target, scored)
    totals = [row["reward"] for row in scored if row["reward"] is not None]
    mean = sum(totals) / len(totals) if totals else float("nan")
    names = ", ".join(f"{r.name} x{r.weight:g}" for r in rewards)
    log.info("scored %d completions with %s: mean reward %.3f -> %s", len(scored), names, mean, target)


if __name__ == "__main__":
    main()
