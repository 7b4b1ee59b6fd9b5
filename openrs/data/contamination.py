"""Benchmark contamination of a training set: exact problem matches and shared word n-grams.

    python -m openrs.data.contamination dataset=deepscaler_subset [dataset.max_rows=...] [--ngram 13]

The overrides compose `conf/config.yaml` as training does, so any dataset option or mix works. The
training side is every problem of the dataset's sources (before filters and sampling): an upper bound
on what a run with that option can see.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from openrs.data.benchmarks import BENCHMARKS, load_benchmark
from openrs.data.filters import normalize_problem

log = logging.getLogger(__name__)
_WORD = re.compile(r"\w+")


def word_ngrams(text: str, n: int) -> list[tuple[str, ...]]:
    """The lower-cased word n-grams of `text` (punctuation and LaTeX markup dropped)."""
    words = _WORD.findall(text.lower())
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


@dataclass
class BenchmarkOverlap:
    """How many problems of one benchmark also occur in the training set, and which."""

    benchmark: str
    rows: int
    exact_ids: list[str] = field(default_factory=list)
    # Problems sharing at least one n-gram, each with one shared n-gram to judge it by.
    ngram_examples: dict[str, str] = field(default_factory=dict)
    # Problems with at least NEAR_DUPLICATE_SHARE of their n-grams in the training set.
    near_duplicate_ids: list[str] = field(default_factory=list)

    @property
    def exact(self) -> int:
        """Problems equal to a training problem after case and whitespace normalisation."""
        return len(self.exact_ids)

    @property
    def ngram(self) -> int:
        """Problems sharing at least one n-gram with the training set."""
        return len(self.ngram_examples)

    @property
    def near_duplicate(self) -> int:
        """Problems most of whose n-grams occur in the training set."""
        return len(self.near_duplicate_ids)


NEAR_DUPLICATE_SHARE = 0.5


class TrainingIndex:
    """The training problems as a set of normalised texts and a set of hashed word n-grams."""

    def __init__(self, problems: Iterable[str], n: int = 13):
        if n < 1:
            from openrs.errors import ConfigError

            raise ConfigError(f"n-gram length {n}: must be at least 1 word")
        self.n = n
        self.exact: set[str] = set()
        self.ngrams: set[int] = set()
        for problem in problems:
            self.exact.add(normalize_problem(problem))
            self.ngrams.update(map(hash, word_ngrams(problem, n)))

    def overlap(self, benchmark: str, rows: Sequence[dict]) -> BenchmarkOverlap:
        """Find the benchmark rows that equal a training problem, share an n-gram, or mostly do."""
        result = BenchmarkOverlap(benchmark, len(rows))
        for row in rows:
            if normalize_problem(row["problem"]) in self.exact:
                result.exact_ids.append(row["id"])
            grams = word_ngrams(row["problem"], self.n)
            shared = [g for g in grams if hash(g) in self.ngrams]
            if shared:
                result.ngram_examples[row["id"]] = " ".join(shared[0])
                if len(shared) >= NEAR_DUPLICATE_SHARE * len(grams):
                    result.near_duplicate_ids.append(row["id"])
        return result


def contamination_report(
    train_problems: Iterable[str], n: int = 13, benchmarks: Sequence[str] = BENCHMARKS
) -> list[BenchmarkOverlap]:
    """Exact-match and n-gram overlap of each benchmark with the training problems."""
    index = TrainingIndex(train_problems, n)
    return [index.overlap(name, load_benchmark(name)) for name in benchmarks]


def markdown_table(report: list[BenchmarkOverlap], n: int) -> str:
    """The report as a markdown table: counts and percentages per benchmark."""
    share = f"{NEAR_DUPLICATE_SHARE:.0%}"
    lines = [
        f"| benchmark | problems | exact match | any {n}-gram shared | ≥{share} of {n}-grams shared |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in report:
        cells = [f"{count} ({100 * count / r.rows:.1f}%)" for count in (r.exact, r.ngram, r.near_duplicate)]
        lines.append(f"| {r.benchmark} | {r.rows} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def print_report(dataset: str, train_rows: int, report: list[BenchmarkOverlap], n: int) -> None:
    """CLI output: the table, ready to paste into a README."""
    print(f"Contamination of dataset '{dataset}' ({train_rows} training problems):\n")  # noqa: T201
    print(markdown_table(report, n))  # noqa: T201


def _dataset_config(overrides: list[str]):
    from openrs.config.store import compose_config, to_typed

    return to_typed(compose_config(overrides))


def _check_hub(paths: list[str], timeout_s: float) -> None:
    from openrs import hub
    from openrs.data.sources import BUILTIN_PREFIX

    sources = [hub.Source("dataset", p) for p in paths if not p.startswith(BUILTIN_PREFIX)]
    hub.require(sources, timeout_s, "use a local dataset option, e.g. dataset=deepscaler_subset")


def main(argv: list[str] | None = None) -> int:
    """CLI: print the contamination table for a dataset option (and optionally write JSON)."""
    from openrs import cli
    from openrs.commands import CONTAMINATION

    parser = cli.ArgumentParser(CONTAMINATION)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. dataset=deepscaler_subset")
    parser.add_argument("--ngram", type=int, default=13, help="n of the word n-grams (default 13)")
    parser.add_argument("--benchmarks", nargs="+", default=list(BENCHMARKS), choices=BENCHMARKS)
    parser.add_argument("--output", type=Path, help="also write the report, with matching ids, as JSON")
    args = parser.parse_args(argv)
    if args.ngram < 1:
        parser.error(f"--ngram {args.ngram}: an n-gram needs at least 1 word (default 13)")
    cli.setup_logging()

    from openrs.data.build import load_problem_pool
    from openrs.data.mix import resolve_sources

    try:
        with cli.exit_on_user_error(CONTAMINATION):  # openrs's and Hydra's errors: one line
            cfg = _dataset_config(args.overrides)
            specs = resolve_sources(cfg.dataset)
            _check_hub([s.path for s in specs], cfg.run.hub_timeout_s)
            pool = load_problem_pool(cfg.dataset, cfg.seed, specs)
    except SystemExit as exit_:
        return exit_.code
    problems = list(pool["problem"])
    report = contamination_report(problems, args.ngram, args.benchmarks)
    print_report(cfg.dataset.name, len(problems), report, args.ngram)
    if args.output:
        payload = {
            "dataset": cfg.dataset.name,
            "sources": [s.path for s in specs],
            "train_rows": len(problems),
            "ngram": args.ngram,
            "benchmarks": [
                asdict(r) | {"exact": r.exact, "ngram": r.ngram, "near_duplicate": r.near_duplicate}
                for r in report
            ],
        }
        args.output.write_text(json.dumps(payload, indent=2) + "\n")
        log.info("wrote %s", args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
