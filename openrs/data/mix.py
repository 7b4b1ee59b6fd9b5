"""The sources of a training set and how many rows each contributes: one source, or a weighted mix."""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

from openrs.config.schema import DatasetConfig
from openrs.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceSpec:
    """One named source: where its rows come from, their column names and its share of the mix."""

    name: str
    path: str
    split: str
    problem_column: str
    answer_column: str
    solution_column: str | None
    weight: float | None = None  # a share of the total (weights are normalised)
    rows: int | None = None  # or an exact row count


COLUMN_KEYS = ("split", "problem_column", "answer_column", "solution_column")
MIX_KEYS = ("path", "weight", "rows", *COLUMN_KEYS)


def resolve_sources(cfg: DatasetConfig) -> list[SourceSpec]:
    """The sources that contribute rows (weight or rows > 0), validated without any I/O."""
    defaults = {key: getattr(cfg, key) for key in COLUMN_KEYS}
    if not cfg.mix:
        if not cfg.path:
            raise ConfigError(f"dataset '{cfg.name}' has no path and no mix; set dataset.path")
        return [SourceSpec(name=cfg.name, path=cfg.path, **defaults)]
    specs = [_mix_source(name, entry, defaults, sorted(cfg.mix)) for name, entry in cfg.mix.items()]
    if sum(s.weight or 0 for s in specs) <= 0 and sum(s.rows or 0 for s in specs) <= 0:
        raise ConfigError(
            f"dataset '{cfg.name}': the weights and rows of dataset.mix sum to zero; "
            "give at least one source a positive weight or rows"
        )
    active = [s for s in specs if (s.weight or s.rows)]
    skipped = [s.name for s in specs if s not in active]
    if skipped:
        log.info("mix sources with weight 0, not loaded: %s", ", ".join(skipped))
    return active


def _mix_source(name: str, entry, defaults: dict, known: list[str]) -> SourceSpec:
    where = f"dataset.mix.{name}"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where} must be a mapping with keys {list(MIX_KEYS)}, got {entry!r}")
    unknown = sorted(set(entry) - set(MIX_KEYS))
    if unknown:
        raise ConfigError(f"unknown key '{where}.{unknown[0]}'; a mix source has: {', '.join(MIX_KEYS)}")
    if not entry.get("path"):
        raise ConfigError(f"{where} has no 'path': unknown mix source '{name}'? the mix has: {known}")
    weight, rows = entry.get("weight"), entry.get("rows")
    if (weight is None) == (rows is None):
        raise ConfigError(f"{where} needs exactly one of 'weight' (a share) or 'rows' (a count)")
    if (weight is not None and weight < 0) or (rows is not None and (rows < 0 or rows != int(rows))):
        raise ConfigError(f"{where}: weight must be >= 0 and rows a whole number >= 0")
    columns = {key: entry.get(key, default) for key, default in defaults.items()}
    return SourceSpec(
        name=name,
        path=str(entry["path"]),
        weight=None if weight is None else float(weight),
        rows=None if rows is None else int(rows),
        **columns,
    )


def plan_rows(specs: list[SourceSpec], available: dict[str, int], total: int | None) -> dict[str, int]:
    """Rows to take from each source: fixed counts first, then `total` split by weight.

    Without a total, weighted sources give the largest mix that keeps their proportions.
    Shares are rounded by largest remainder, so they sum to the total exactly.
    """
    plan = {s.name: s.rows for s in specs if s.rows is not None}
    weighted = [s for s in specs if s.weight]
    if weighted:
        weight_sum = sum(s.weight for s in weighted)
        if total is None:
            budget = min(math.floor(available[s.name] * weight_sum / s.weight + 1e-9) for s in weighted)
        else:
            budget = total - sum(plan.values())
            if budget < 0:
                raise ConfigError(
                    f"dataset.mix asks for {sum(plan.values())} fixed rows, more than max_rows={total}"
                )
        plan |= _largest_remainder({s.name: s.weight / weight_sum for s in weighted}, budget)
    elif total is not None and total != sum(plan.values()):
        log.warning("dataset.max_rows=%d ignored: every mix source gives its rows", total)
    for name, wanted in plan.items():
        if wanted > available[name]:
            raise ConfigError(
                f"mix source '{name}' has {available[name]} rows after filtering but the mix asks for "
                f"{wanted}; lower dataset.max_rows or its rows/weight"
            )
    return plan


def _largest_remainder(shares: dict[str, float], budget: int) -> dict[str, int]:
    exact = {name: share * budget for name, share in shares.items()}
    counts = {name: math.floor(value + 1e-9) for name, value in exact.items()}
    leftover = budget - sum(counts.values())
    by_remainder = sorted(exact, key=lambda name: (counts[name] - exact[name], name))
    for name in by_remainder[:leftover]:
        counts[name] += 1
    return counts


def spec_summary(spec: SourceSpec) -> dict:
    """The config of one source, as recorded in the run's data summary."""
    return {k: v for k, v in dataclasses.asdict(spec).items() if k != "name" and v is not None}
