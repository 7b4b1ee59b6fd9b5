"""The evaluation recipe: check, resolve the models, generate what is missing, score, report."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

from tqdm.auto import tqdm

from openrs.errors import ConfigError
from openrs.evaluate.backends import ResolvedBackend, build_generator, resolve_backend
from openrs.evaluate.completions import CompletionStore, completion_seed
from openrs.evaluate.config import EvalConfig, ProtocolConfig, validate_eval_config
from openrs.evaluate.files import check_model_dir
from openrs.evaluate.metrics import Sample, average_over_benchmarks, benchmark_metrics
from openrs.evaluate.paper_reference import load_reference, reference_experiments
from openrs.evaluate.problems import Problem, load_problems, prompt_token_ids
from openrs.evaluate.report import paper_rows, write_report
from openrs.evaluate.scoring import rescore_other_checkers, score
from openrs.evaluate.targets import Target, check_hub_targets, resolve_targets

log = logging.getLogger(__name__)


def protocol_fingerprint(protocol: ProtocolConfig, target: Target, revision: str) -> dict:
    """What fixes a completion: the model, the prompt and the sampling (not n, the limit or the backend)."""
    sampling = dataclasses.asdict(protocol.sampling)
    sampling.pop("num_samples")
    return {
        "model": target.path,
        "revision": revision if target.is_hub_id else None,
        "prompt_template": protocol.prompt_template,
        "system_prompt": protocol.system_prompt,
        "use_chat_template": protocol.use_chat_template,
        **sampling,
    }


def generate_missing(
    target: Target,
    problems: dict[str, list[Problem]],
    store: CompletionStore,
    cfg: EvalConfig,
    backend: ResolvedBackend,
) -> int:
    """Generate and store every (problem, sample) not in the store yet; returns how many were made."""
    from openrs.models import load_tokenizer

    n, seed = cfg.eval.sampling.num_samples, cfg.eval.sampling.seed
    pending = []
    for bench, items in problems.items():
        done = store.load(bench)
        pending += [(p, s) for p in items for s in range(n) if (p.id, s) not in done]
    total = sum(len(items) for items in problems.values()) * n
    if not pending:
        log.info("%s: all %d completions already in %s", target.label, total, store.dir)
        return 0
    log.info("%s: %d of %d completions to generate", target.label, len(pending), total)
    tokenizer = load_tokenizer(target.path, revision=cfg.revision)
    prompts = {p: prompt_token_ids(p.problem, cfg.eval, tokenizer) for p in {p for p, _ in pending}}
    pending.sort(key=lambda item: len(prompts[item[0]]))  # similar lengths batch with little padding
    generator = build_generator(target.path, cfg.revision, tokenizer, backend, cfg.backend, cfg.eval.sampling)
    try:
        with tqdm(total=len(pending), desc=f"generating ({target.label})", unit="completion") as bar:
            for start in range(0, len(pending), generator.chunk_size):
                chunk = pending[start : start + generator.chunk_size]
                seeds = [completion_seed(seed, p.benchmark, p.id, s) for p, s in chunk]
                generations = generator.generate([prompts[p] for p, _ in chunk], seeds)
                # transformers seeds a whole batch with its first item's seed; record the one in effect.
                used = seeds if backend.name == "vllm" else [seeds[0]] * len(chunk)
                rows = score([p for p, _ in chunk], generations, cfg.eval)
                store_chunk(store, chunk, rows, used, prompts)
                bar.update(len(chunk))
    finally:
        generator.close()
    return len(pending)


def store_chunk(
    store: CompletionStore,
    chunk: list[tuple[Problem, int]],
    rows: list[dict],
    seeds: list[int],
    prompts: dict[Problem, list[int]],
) -> None:
    """Append a chunk's scored rows to their benchmarks' files, each with its item, seed and prompt length."""
    by_benchmark: dict[str, list[dict]] = {}
    for (problem, sample), row, seed in zip(chunk, rows, seeds, strict=True):
        record = {
            "id": problem.id,
            "sample": sample,
            "seed": seed,
            "prompt_tokens": len(prompts[problem]),
            **row,
        }
        by_benchmark.setdefault(problem.benchmark, []).append(record)
    for bench, records in by_benchmark.items():
        store.append(bench, records)


def stored_sample(row: dict) -> Sample:
    """The part of a completions row the metrics use."""
    return Sample(
        answer=row["answer"],
        correct=row["correct"],
        num_tokens=row["completion_tokens"],
        truncated=row["finish_reason"] == "length",
        timed_out=row["verdict"] == "timeout",
    )


def target_metrics(problems: dict[str, list[Problem]], store: CompletionStore, cfg: EvalConfig) -> dict:
    """Per-benchmark metrics from the stored rows of this protocol's problems and samples."""
    n = cfg.eval.sampling.num_samples
    per_benchmark = {}
    for bench, items in problems.items():
        rows = store.load(bench)
        samples = [[stored_sample(rows[(p.id, s)]) for s in range(n)] for p in items]
        per_benchmark[bench] = benchmark_metrics(samples, cfg.eval.k)
    return per_benchmark


def evaluate_target(
    target: Target,
    problems: dict[str, list[Problem]],
    cfg: EvalConfig,
    backend: ResolvedBackend,
    run_dir: Path,
) -> dict:
    """Generate what `run_dir/<label>` lacks for one model, then its per-benchmark metrics and average."""
    store = CompletionStore(run_dir / target.label)
    store.check_protocol(protocol_fingerprint(cfg.eval, target, cfg.revision))
    generated = generate_missing(target, problems, store, cfg, backend)
    rescore_other_checkers([p for items in problems.values() for p in items], store, cfg.eval)
    per_benchmark = target_metrics(problems, store, cfg)
    average = {"over": list(per_benchmark), **average_over_benchmarks(per_benchmark)}
    log.info("%s: average pass@1 %.1f%% over %s", target.label, average["pass@1"], ", ".join(per_benchmark))
    return {
        **dataclasses.asdict(target),
        "generated_now": generated,
        "benchmarks": per_benchmark,
        "average": average,
    }


def results_document(
    cfg: EvalConfig, backend: ResolvedBackend, targets: list[dict], wall_time_s: float
) -> dict:
    """Everything results.json holds: settings, seeds, per-target metrics, the paper's rows, versions."""
    from openrs.training.summary import git_sha, package_versions

    return {
        "model_path": cfg.model_path,
        "protocol": dataclasses.asdict(cfg.eval),
        "backend": {**dataclasses.asdict(cfg.backend), **dataclasses.asdict(backend)},
        "seeding": "each completion's seed = sha256(seed:benchmark:id:sample), recorded in its row "
        "(transformers: the seed of its batch)",
        "units": "percent",
        "targets": targets,
        "paper_table2": paper_rows(),
        "paper_reference": {
            "experiments": reference_experiments(cfg.paper_reference, cfg.model_path),
            "source": load_reference()["source"],
        },
        "git_sha": git_sha(Path(__file__).parent),
        "packages": package_versions(),
        "wall_time_s": round(wall_time_s, 2),
    }


def write_run_file(path: Path, text: str) -> None:
    """Write one file of the evaluation run dir; ConfigError in one line when it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as err:
        raise ConfigError(
            f"cannot write {path}: {err.strerror or type(err).__name__}; set hydra.run.dir to a writable folder"
        ) from None


def loadable_targets(targets: list[Target]) -> list[Target]:
    """The targets whose local files load; of a run's checkpoints a broken one is skipped, saying so."""
    usable = []
    for target in targets:
        if target.is_hub_id:
            usable.append(target)
            continue
        try:
            check_model_dir(target.path)
        except ConfigError as err:
            if len(targets) == 1:
                raise
            log.warning("skipping %s: %s", target.label, err)
            continue
        usable.append(target)
    if not usable:
        raise ConfigError(f"no loadable model among {len(targets)} checkpoint(s); see the warnings above")
    return usable


def evaluate(cfg: EvalConfig, run_dir: str | Path) -> dict:
    """Evaluate every model `cfg.model_path` names; writes completions, results.json, results.md, a curve."""
    start = time.time()
    run_dir = Path(run_dir)
    validate_eval_config(cfg)
    # Bad benchmark files fail here, before any model is looked for or loaded.
    problems = {
        b: load_problems(b, cfg.eval.limit, cfg.eval.benchmark_dir, cfg.eval.checker)
        for b in cfg.eval.benchmarks
    }
    targets = loadable_targets(resolve_targets(cfg.model_path, cfg.checkpoints))
    check_hub_targets(targets, cfg.revision, cfg.hub_timeout_s)
    backend = resolve_backend(cfg.backend)
    sampling = cfg.eval.sampling
    if backend.device == "cpu" and sampling.max_new_tokens > 4096:
        log.warning(
            "up to %d new tokens per completion on CPU is slow; eval=smoke is a quick check",
            sampling.max_new_tokens,
        )
    log.info(
        "%d model(s) x %d problems x %d samples",
        len(targets),
        sum(map(len, problems.values())),
        sampling.num_samples,
    )
    evaluated = [evaluate_target(t, problems, cfg, backend, run_dir) for t in targets]
    results = results_document(cfg, backend, evaluated, time.time() - start)
    for path in write_report(run_dir, results):
        log.info("wrote %s", path)
    return results
