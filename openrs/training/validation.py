"""Validation during training: the policy's benchmark pass@1 every few steps, and the best checkpoint kept.

Problems, prompts, seeds, the answer check and the metrics are `openrs.evaluate`'s; generation is
`model.generate` on the trainer's own model, or the trainer's vLLM engine when it generates with one
(colocated or a server: openrs.training.validation_vllm). The best step is transformers' own `best_global_step`
(its checkpoint becomes `best_model_checkpoint`, which `save_total_limit` never deletes).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from pathlib import Path

from transformers import EarlyStoppingCallback, TrainerCallback

from openrs.config.schema import ValidationConfig
from openrs.evaluate.backends import TransformersGenerator
from openrs.evaluate.completions import completion_seed
from openrs.evaluate.config import ProtocolConfig, SamplingConfig
from openrs.evaluate.metrics import Sample, average_over_benchmarks, benchmark_metrics
from openrs.evaluate.problems import Problem, load_problems, prompt_token_ids
from openrs.evaluate.runner import stored_sample
from openrs.evaluate.scoring import score
from openrs.run_dir import RunDir, append_metrics, read_metrics_rows, trim_metrics
from openrs.training.validation_vllm import engine_generator, sync_policy, vllm_mode

log = logging.getLogger(__name__)

PREFIX = "val/"
PLOT_FILE = "validation.png"
# Each benchmark's metrics under val/<benchmark>/<name>, from openrs.evaluate's names (percent).
BENCHMARK_METRICS = {
    "pass@1": "pass@1",
    "pass@1_se": "pass@1_stderr",
    "mean_length": "mean_completion_tokens",
    "truncated": "truncated_pct",
}


def validation_protocol(cfg: ValidationConfig) -> ProtocolConfig:
    """openrs.evaluate's protocol (the paper's) with the validation's benchmarks, sampling and checker."""
    given = {
        "temperature": cfg.temperature,
        "top_p": cfg.top_p,
        "max_new_tokens": cfg.max_new_tokens,
        "seed": cfg.seed,
    }
    sampling = SamplingConfig(
        num_samples=cfg.num_samples, **{k: v for k, v in given.items() if v is not None}
    )
    return ProtocolConfig(
        name="validation",
        benchmarks=list(cfg.benchmarks),
        sampling=sampling,
        limit=cfg.limit,
        checker=cfg.checker,
        benchmark_dir=cfg.benchmark_dir,
    )


def metric_names(benchmarks: list[str]) -> list[str]:
    """Every metric a validation logs, without the `val/` prefix (any of them may pick the best checkpoint)."""
    names = [f"{b}/{name}" for b in benchmarks for name in BENCHMARK_METRICS]
    return names + ["mean_pass@1", "mean_pass@1_se", "time_s"]


def validation_metrics(samples: dict[str, list[list[Sample]]], seconds: float) -> dict[str, float | None]:
    """The logged metrics (percent) from each benchmark's samples, per problem in sample order."""
    per_benchmark = {bench: benchmark_metrics(problems, [1]) for bench, problems in samples.items()}
    metrics: dict[str, float | None] = {}
    for bench, values in per_benchmark.items():
        metrics.update({f"{PREFIX}{bench}/{name}": values[key] for name, key in BENCHMARK_METRICS.items()})
    average = average_over_benchmarks(per_benchmark)
    metrics[f"{PREFIX}mean_pass@1"] = average["pass@1"]
    metrics[f"{PREFIX}mean_pass@1_se"] = average["pass@1_stderr"]
    metrics[f"{PREFIX}time_s"] = round(seconds, 3)
    return metrics


def batches_for_rank(
    items: list[tuple[Problem, int]], batch_size: int, rank: int, world_size: int
) -> list[list[tuple[Problem, int]]]:
    """This rank's share of the batches: whole batches round-robin, so a batch is the same under any layout."""
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    return batches[rank::world_size]


def plot_validation(
    rows: list[dict], benchmarks: list[str], experiments: list[str], best_step: int | None, path: str | Path
):
    """validation.png: each benchmark's and the mean val pass@1 against step (±1 standard error), the best
    step marked, beside the paper's per-checkpoint scores of `experiments`; the Figure, None without rows."""
    from openrs.evaluate.paper_reference import BENCHMARK_COLORS
    from openrs.evaluate.report import BENCHMARK_TITLES, accuracy_figure

    by_step = {row["step"]: row for row in rows if f"{PREFIX}mean_pass@1" in row}  # a later row wins
    if not by_step:
        return None
    steps = sorted(by_step)

    def curve(label: str, color: str, key: str) -> tuple[str, str, list, list]:
        return (
            label,
            color,
            [by_step[s].get(key) for s in steps],
            [by_step[s].get(f"{key}_se") for s in steps],
        )

    curves = [curve(BENCHMARK_TITLES[b], BENCHMARK_COLORS[b], f"{PREFIX}{b}/pass@1") for b in benchmarks]
    curves.append(curve(f"mean ({len(benchmarks)} benchmarks)", "black", f"{PREFIX}mean_pass@1"))
    fig = accuracy_figure(steps, curves, "This run: validation pass@1", benchmarks, experiments, best_step)
    fig.suptitle("Validation during training")
    fig.savefig(path, dpi=120)
    return fig


class ValidationCallback(TrainerCallback):
    """Validates at step 0 (`at_start`) and every `every` steps; logs `val/...` and saves that step's checkpoint."""

    def __init__(self, cfg: ValidationConfig, run_dir: str | Path) -> None:
        self.cfg, self.run_dir = cfg, Path(run_dir)
        self.metrics_path = RunDir(run_dir).metrics
        self.protocol = validation_protocol(cfg)
        # Bad benchmark files fail here, before the model is built.
        self.problems = {
            b: load_problems(b, cfg.limit, cfg.benchmark_dir, cfg.checker) for b in cfg.benchmarks
        }
        self.metric = PREFIX + cfg.metric
        self.early_stopping = EarlyStoppingCallback(cfg.patience) if cfg.patience else None
        self.trainer = None

    def attach(self, trainer) -> None:
        """Log and generate through `trainer` (its model, accelerator and TRL's per-step metrics)."""
        self.trainer = trainer

    def on_train_begin(self, args, state, control, **kwargs):
        if self.cfg.at_start and state.global_step == 0:
            metrics = self.validate(kwargs["processing_class"])
            self._record_best(args, state, control, metrics)
            if state.is_world_process_zero:  # step 0 has no training row: its own line
                trim_metrics(self.metrics_path, -1)  # an earlier attempt's step 0, from before any checkpoint
                append_metrics(self.metrics_path, {"step": 0, **metrics})
                self.plot(state)
            self.trainer.log(dict(metrics))  # wandb and the trainer's log history

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step % self.cfg.every:
            return
        metrics = self.validate(kwargs["processing_class"])
        # Into this step's row (metrics.jsonl, wandb) beside the training metrics TRL logs next.
        for key, value in metrics.items():
            self.trainer._metrics["train"][key].append(math.nan if value is None else value)
        self._record_best(args, state, control, metrics)
        control.should_save = True  # the checkpoint of a validated step exists, so the best one does
        if state.is_world_process_zero:
            self.plot(state, {"step": state.global_step, **metrics})  # its row is written after this

    def on_train_end(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self.plot(state)

    def plot(self, state, current: dict | None = None) -> None:
        """Redraw validation.png from metrics.jsonl (and `current`, not yet written); a failure only warns."""
        from openrs.evaluate.paper_reference import reference_experiments

        try:
            rows, _ = read_metrics_rows(self.metrics_path) if self.metrics_path.exists() else ([], 0)
            experiments = reference_experiments("auto", str(self.run_dir))
            plot_validation(
                rows + ([current] if current else []),
                list(self.cfg.benchmarks),
                experiments,
                state.best_global_step,
                self.run_dir / PLOT_FILE,
            )
        except Exception as err:  # a picture is never worth a training run
            log.warning("validation: cannot draw %s: %s", self.run_dir / PLOT_FILE, err)

    def _record_best(self, args, state, control, metrics: dict) -> None:
        """transformers' best step and metric (as `_determine_best_metric` sets them); early stopping's count."""
        value = metrics[self.metric]
        if value is None:
            return
        if self.early_stopping is not None:
            # Before the best is updated: it compares with state.best_metric (args.greater_is_better is set).
            self.early_stopping.check_metric_value(args, state, control, value)
            if self.early_stopping.early_stopping_patience_counter >= self.cfg.patience:
                log.info(
                    "validation: %s has not improved in %d validations; stopping",
                    self.metric,
                    self.cfg.patience,
                )
                control.should_training_stop = True
        if state.best_metric is None or value > state.best_metric:
            state.best_metric, state.best_global_step = value, state.global_step

    def validate(self, tokenizer) -> dict[str, float | None]:
        """Generate and score this rank's share of the completions, gather them once, and compute the metrics."""
        from accelerate.utils import gather_object
        from trl.models import unwrap_model_for_generation

        started = time.time()
        trainer = self.trainer
        accelerator = trainer.accelerator
        n = self.protocol.sampling.num_samples
        items = [(p, s) for problems in self.problems.values() for p in problems for s in range(n)]
        prompts = {p: prompt_token_ids(p.problem, self.protocol, tokenizer) for p, _ in items}
        items.sort(key=lambda item: len(prompts[item[0]]))  # stable: similar lengths batch together
        mode = vllm_mode(trainer)
        if mode is not None:
            sync_policy(trainer)  # every process: the gathers of ZeRO-3 and TRL's iterator are collective
        if mode == "server":  # the main process alone talks to the server: it generates every completion
            mine = batches_for_rank(items, self.cfg.batch_size, 0, 1) if accelerator.is_main_process else []
        else:
            mine = batches_for_rank(
                items, self.cfg.batch_size, accelerator.process_index, accelerator.num_processes
            )
        longest = max(len(p) for p in prompts.values())
        if mode is None:
            with (
                unwrap_model_for_generation(  # as TRL's own generation: ZeRO-3 gathered, checkpointing paused
                    trainer.model_wrapped,
                    accelerator,
                    gather_deepspeed3_params=trainer.args.ds3_gather_for_generation,
                    gradient_checkpointing_kwargs=trainer.args.gradient_checkpointing_kwargs,
                ) as model
            ):
                sampling = self._capped_sampling(model, longest)
                generator = TransformersGenerator.for_model(model, tokenizer, sampling, self.cfg.batch_size)
                rows = self._generate_and_score(generator, mine, prompts, model)
        else:
            generator = engine_generator(trainer, tokenizer, self._capped_sampling(trainer.model, longest))
            rows = self._generate_and_score(generator, mine, prompts) if generator is not None else []
        gathered = gather_object(rows) if accelerator.num_processes > 1 else rows
        by_item = {(bench, pid, s): sample for bench, pid, s, sample in gathered}
        samples = {
            bench: [[by_item[(bench, p.id, s)] for s in range(n)] for p in problems]
            for bench, problems in self.problems.items()
        }
        metrics = validation_metrics(samples, time.time() - started)
        if not accelerator.is_main_process:
            return metrics
        log.info(
            "validation at step %d (%s): %s %.1f (%.0f s)",
            trainer.state.global_step,
            "transformers generate" if mode is None else f"vLLM, {mode}",
            self.metric,
            metrics[self.metric] if metrics[self.metric] is not None else math.nan,
            metrics[f"{PREFIX}time_s"],
        )
        return metrics

    def _capped_sampling(self, model, longest_prompt: int) -> SamplingConfig:
        """The protocol's sampling, its max_new_tokens cut to what fits the model's context (with a warning)."""
        sampling = self.protocol.sampling
        context = getattr(model.config, "max_position_embeddings", None)
        if context and longest_prompt + sampling.max_new_tokens > context:
            fits = max(1, context - longest_prompt)
            log.warning(
                "validation: max_new_tokens %d + a %d-token prompt exceed the model's %d positions; using %d",
                sampling.max_new_tokens,
                longest_prompt,
                context,
                fits,
            )
            return dataclasses.replace(sampling, max_new_tokens=fits)
        return sampling

    def _generate_and_score(self, generator, batches, prompts, model=None) -> list[tuple]:
        """(benchmark, id, sample, Sample) for each completion of `batches`; training's RNG (and `model`'s
        train mode, when it is the trainer's own) is left as it was."""
        import torch

        sampling = generator.sampling
        was_training = model is not None and model.training
        if model is not None:
            model.eval()
        devices = [model.device] if model is not None and model.device.type == "cuda" else []
        rows = []
        try:
            with torch.random.fork_rng(devices=devices):
                for batch in batches:
                    seeds = [completion_seed(sampling.seed, p.benchmark, p.id, s) for p, s in batch]
                    generations = generator.generate([prompts[p] for p, _ in batch], seeds)
                    scored = score([p for p, _ in batch], generations, self.protocol)
                    rows += [
                        (p.benchmark, p.id, s, stored_sample(row))
                        for (p, s), row in zip(batch, scored, strict=True)
                    ]
        finally:
            if model is not None:
                model.train(was_training)
        return rows
