"""From a DatasetConfig to the conversational prompts TRL trains on, with a per-source summary."""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from pathlib import Path

from openrs.config.schema import LONG_PROMPT_MODES, DatasetConfig
from openrs.data.files import check_column_types
from openrs.data.filters import (
    dedupe_problems,
    drop_long_prompts,
    keep_parseable_answers,
    long_prompt_rows,
)
from openrs.data.mix import SourceSpec, plan_rows, resolve_sources, spec_summary
from openrs.data.prompts import build_conversation
from openrs.data.sources import describe_source, load_rows, missing_columns_error
from openrs.errors import ConfigError
from openrs.ranks import is_main_process
from openrs.run_dir import RunDir

log = logging.getLogger(__name__)

SOURCE_COLUMN = "data_source"


def to_canonical_columns(ds, spec: SourceSpec, with_solution: bool, keys: str = "dataset"):
    """Rename a source's columns to `problem`, `answer` (and `solution`), tag its rows, drop the rest.

    `keys` is where the source's column keys live: `dataset`, or `dataset.mix.<name>` for a mix entry.
    """
    wanted = {spec.problem_column: "problem", spec.answer_column: "answer"}
    if spec.solution_column:
        wanted[spec.solution_column] = "solution"
    where = describe_source(spec.path)
    if keys != "dataset":
        where = f"dataset source '{spec.name}' ({where})"
    if any(c not in ds.column_names for c in wanted):
        raise missing_columns_error(where, wanted, ds.column_names, keys)
    check_column_types(ds, {spec.problem_column: "text", spec.answer_column: "answer"}, where)
    ds = ds.select_columns(list(wanted))

    def canonical(row):
        out = {dst: row[src] for src, dst in wanted.items()}
        # A null gold answer is missing, not the text "None" (which math-verify would parse as N*o*n*e).
        out["answer"] = "" if out["answer"] is None else str(out["answer"])
        if with_solution:
            out["solution"] = str(out.get("solution") or "")
        return out | {SOURCE_COLUMN: spec.name}

    return ds.map(canonical, remove_columns=ds.column_names, desc=f"columns of {spec.name}")


def load_problem_pool(cfg: DatasetConfig, seed: int, specs: list[SourceSpec] | None = None):
    """All rows of the config's active sources in canonical columns, before any filter or sampling."""
    import datasets

    specs = resolve_sources(cfg) if specs is None else specs
    with_solution = any(s.solution_column for s in specs)
    parts = [
        to_canonical_columns(
            load_rows(s.path, s.split, cfg.num_rows, seed),
            s,
            with_solution,
            f"dataset.mix.{s.name}" if cfg.mix else "dataset",
        )
        for s in specs
    ]
    return datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]


def add_prompts(ds, system_prompt: str):
    """Add TRL's conversational `prompt` column: the system prompt then the problem."""
    return ds.map(lambda row: {"prompt": build_conversation(system_prompt, row["problem"])}, desc="prompts")


def _sample(ds, plan: dict[str, int], seed: int) -> list[int]:
    """Row indices: `plan[name]` random rows of each source, then the whole selection shuffled."""
    by_source: dict[str, list[int]] = {name: [] for name in plan}
    for i, name in enumerate(ds[SOURCE_COLUMN]):
        by_source[name].append(i)
    chosen = []
    for name, rows in by_source.items():
        random.Random(f"{seed}:{name}").shuffle(rows)
        chosen += sorted(rows[: plan[name]])
    random.Random(seed).shuffle(chosen)
    return chosen


def _source_counts(ds) -> Counter:
    return Counter(ds[SOURCE_COLUMN])


def build_train_dataset(cfg: DatasetConfig, tokenizer, seed: int, run_dir: str | Path | None = None):
    """Load, canonicalise, filter, mix and prompt the training set; fail clearly if nothing is left."""
    if cfg.long_prompts not in LONG_PROMPT_MODES:
        raise ConfigError(f"dataset.long_prompts={cfg.long_prompts!r} is not one of {LONG_PROMPT_MODES}")
    specs = resolve_sources(cfg)
    ds = load_problem_pool(cfg, seed, specs)
    stages = {"loaded": _source_counts(ds)}
    if cfg.dedupe:
        ds = dedupe_problems(ds)
        stages["dropped_duplicates"] = _source_counts(ds)
    if cfg.require_parseable_answer:
        ds = keep_parseable_answers(ds)
        stages["dropped_unparseable"] = _source_counts(ds)
    ds = add_prompts(ds, cfg.system_prompt)
    if cfg.long_prompts == "drop":
        ds = drop_long_prompts(ds, tokenizer, cfg.max_prompt_length)
        stages["dropped_too_long"] = _source_counts(ds)
    available = _source_counts(ds)
    if len(ds) == 0:
        raise ConfigError(
            f"dataset '{cfg.name}' is empty after filtering (max_prompt_length={cfg.max_prompt_length}, "
            f"long_prompts={cfg.long_prompts}, dedupe={cfg.dedupe}, "
            f"require_parseable_answer={cfg.require_parseable_answer})"
        )
    if cfg.mix:
        plan = plan_rows(specs, available, cfg.max_rows)
    else:
        plan = {specs[0].name: min(len(ds), cfg.max_rows if cfg.max_rows is not None else len(ds))}
    ds = ds.select(_sample(ds, plan, seed))
    if len(ds) == 0:
        raise ConfigError(f"dataset '{cfg.name}' takes no rows (max_rows={cfg.max_rows})")
    truncated = Counter()
    if cfg.long_prompts == "truncate":  # counted on the rows taken: those the trainer will cut
        truncated = _source_counts(ds.select(long_prompt_rows(ds, tokenizer, cfg.max_prompt_length)))
    ds = ds.remove_columns(SOURCE_COLUMN)
    summary = data_summary(cfg, seed, specs, stages, plan, truncated)
    log_summary(summary)
    if run_dir is not None and is_main_process():
        RunDir(run_dir).data_summary.write_text(json.dumps(summary, indent=2) + "\n")
    return ds


def data_summary(
    cfg: DatasetConfig, seed: int, specs, stages: dict[str, Counter], plan, truncated: Counter | None = None
) -> dict:
    """Per-source row counts through each filter, the rows taken, and how many of those get truncated."""
    truncated = truncated or Counter()
    total = sum(plan.values())
    sources = {}
    for spec in specs:
        counts = [stages[stage][spec.name] for stage in stages]
        row = spec_summary(spec) | {"loaded": counts[0]}
        # Each stage records what is left, so a drop is the difference with the stage before it.
        row |= {
            stage: before - after
            for stage, before, after in zip(list(stages)[1:], counts, counts[1:], strict=False)
        }
        row |= {"available": counts[-1], "taken": plan[spec.name], "share": round(plan[spec.name] / total, 4)}
        row["truncated"] = truncated[spec.name]  # taken rows whose prompt the trainer left-truncates
        sources[spec.name] = row
    return {
        "dataset": cfg.name,
        "seed": seed,
        "rows": total,
        "max_rows": cfg.max_rows,
        "max_prompt_length": cfg.max_prompt_length,
        "long_prompts": cfg.long_prompts,
        "dedupe": cfg.dedupe,
        "require_parseable_answer": cfg.require_parseable_answer,
        "sources": sources,
    }


def log_summary(summary: dict) -> None:
    """One log line per source: rows loaded, dropped by each filter, and taken."""
    for name, row in summary["sources"].items():
        drops = ", ".join(
            f"{k.removeprefix('dropped_')} {v}" for k, v in row.items() if k.startswith("dropped_")
        )
        log.info(
            "data source %s: loaded %d, dropped (%s), took %d of %d (%.1f%% of the set, %d left-truncated)",
            name, row["loaded"], drops or "none", row["taken"], row["available"], 100 * row["share"],
            row["truncated"],
        )  # fmt: skip
    log.info("training on %d prompts from dataset '%s'", summary["rows"], summary["dataset"])
