"""What each openrs command says about itself in --help: summary, config groups, keys, examples.

The console scripts in pyproject.toml (`openrs-<name>`) and `python -m <module>` run the same entry point.
"""

from __future__ import annotations

from openrs.cli_help import Command

TRAIN = Command(
    name="train",
    module="openrs.train",
    config_name="config",
    summary=(
        "Train a policy with GRPO (TRL) from config groups; the resolved config, metrics.jsonl, checkpoints\n"
        "and summary.json go to the run dir (outputs/DATE/TIME, or hydra.run.dir=...; rerun it to resume).\n"
        "With no +experiment, conf/default_run/micro_repro.yaml makes it the CPU micro reproduction."
    ),
    usage="[+experiment=NAME] [GROUP=OPTION ...] [KEY=VALUE ...] [-m: one run per sweep point]",
    groups=("model", "dataset", "reward", "optimizer", "hardware", "trainer", "hydra/launcher"),
    presets=("experiment", "sweep"),
    keys=(
        "seed=42, run.resume=auto|never, run.logger=jsonl|wandb, trainer.extra.<GRPOConfig field>=..., "
        "reward.funcs.<name>.weight=..., hydra.run.dir=<run dir>"
    ),
    examples=(
        ("python -m openrs.train", "the first run: GRPO on CPU, held-out accuracy rising in about a minute"),
        ("python -m openrs.train +experiment=exp2 hardware=single_gpu", "the paper's Open-RS2 on one GPU"),
        ("python -m openrs.train -m +experiment=exp3 +sweep=lr", "a learning-rate sweep, one run dir each"),
    ),
)

EVALUATE = Command(
    name="evaluate",
    module="openrs.evaluate",
    config_name="evaluate",
    summary=(
        "Score a model (Hub id, model dir, checkpoint-N or a whole training run dir) on AIME24, MATH-500,\n"
        "AMC23, Minerva and OlympiadBench with the paper's protocol; results go to outputs/eval/DATE/TIME."
    ),
    usage="model_path=PATH [eval=OPTION] [KEY=VALUE ...]",
    groups=("eval",),
    keys=(
        "model_path=..., checkpoints.every=1, backend.name=auto|vllm|transformers, eval.benchmarks=[...], "
        "eval.limit=N, eval.sampling.num_samples=N, hydra.run.dir=<dir to resume>"
    ),
    examples=(
        (
            "python -m openrs.evaluate model_path=outputs/DATE/TIME eval=smoke",
            "a CPU run's checkpoints, in seconds",
        ),
        (
            "python -m openrs.evaluate model_path=deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
            "the paper's base model",
        ),
        (
            "python -m openrs.evaluate model_path=RUN/checkpoints/checkpoint-100 eval=paper_n16",
            "16 samples each",
        ),
    ),
)

REPORT = Command(
    name="report",
    module="openrs.report",
    summary=(
        "Summarise a training run or a sweep: report.md, report.csv and reward/accuracy/length plots,\n"
        "one row per run with the overrides that differ, final and best rewards, wall time and cost."
    ),
    examples=(
        ("python -m openrs.report outputs/DATE/TIME", "one run"),
        ("python -m openrs.report multirun/DATE/TIME --out reports/lr", "a sweep, files written elsewhere"),
        ("python -m openrs.report multirun/DATE/TIME --price-per-gpu-hour 1.10", "your GPU price"),
    ),
)

CONTAMINATION = Command(
    name="contamination",
    module="openrs.data.contamination",
    config_name="config",
    summary=(
        "Benchmark contamination of a training set: exact problem matches and shared word n-grams per\n"
        "benchmark. The overrides compose the training config, so any dataset option or mix works."
    ),
    groups=("dataset",),
    examples=(
        ("python -m openrs.data.contamination dataset=deepscaler_subset", "the shipped subset, about 3 s"),
        ("python -m openrs.data.contamination dataset=deepscaler_subset --ngram 8", "8-grams instead of 13"),
        ("python -m openrs.data.contamination dataset=open_rs --output report.json", "matching ids as JSON"),
    ),
)

SCORE = Command(
    name="score",
    module="openrs.score",
    config_name="score",
    summary=(
        "Score completions with the rewards a preset configures (no model, no Hub): each JSONL row holds\n"
        "`completion` and the dataset's columns; each output row adds `rewards` and their weighted sum `reward`."
    ),
    usage="input=IN.jsonl output=OUT.jsonl [+experiment=NAME] [reward=OPTION] [KEY=VALUE ...]",
    groups=("reward",),
    presets=("experiment",),
    keys="input=<jsonl>, output=<jsonl>, reward.funcs.<name>.<param>=..., reward.funcs.<name>.weight=...",
    examples=(
        (
            "python -m openrs.score +experiment=exp3 input=in.jsonl output=out.jsonl",
            "Open-RS3's rewards",
        ),
        (
            "python -m openrs.score reward=boxed_accuracy_format input=in.jsonl output=out.jsonl",
            "openrs's",
        ),
    ),
)

COMMANDS = (TRAIN, EVALUATE, REPORT, CONTAMINATION, SCORE)
