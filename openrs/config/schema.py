"""Typed schemas for every config group. Defaults live here and nowhere else.

The defaults are the paper's recipe (knoveleng/open-rs `recipes/grpo.yaml`); YAML files under
`conf/` state only what differs from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Verbatim from open-rs recipes/grpo.yaml, doubled braces included: the model saw them.
PAPER_SYSTEM_PROMPT = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with "
    "the answer, and put your final answer within \\boxed{{}} . The reasoning process and answer are "
    "enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., "
    "<think> reasoning process here </think> <answer> answer here </answer>. "
    "Note that respond by English, NOT use other languages."
)
LONG_PROMPT_MODES = ("drop", "truncate")  # the values of DatasetConfig.long_prompts


@dataclass
class WarmupConfig:
    """Supervised warm-up of a tiny model on generated demonstrations, before GRPO."""

    # Dotted path to `(num_examples, seed) -> [{problem, completion}]`.
    demonstrations: str = "openrs.micro_repro.task.demonstrations"
    # Must equal the dataset's system prompt: the model is warmed up on the prompts GRPO will use.
    system_prompt: str = ""
    num_examples: int = 4096
    steps: int = 1000
    batch_size: int = 32
    lr: float = 3.0e-3
    weight_decay: float = 0.0
    warmup_ratio: float = 0.05


@dataclass
class TinyModelConfig:
    """Shape of a randomly initialised Qwen2 built locally (no Hub)."""

    hidden_size: int = 64
    intermediate_size: int = 128
    num_hidden_layers: int = 2
    # head_dim = hidden_size / num_attention_heads = 32: vLLM's CPU attention needs at least 32.
    num_attention_heads: int = 2
    num_key_value_heads: int = 1
    max_position_embeddings: int = 1024
    tokenizer_vocab_size: int = 512
    # Set to train the random model briefly on demonstrations before GRPO (cached in the run dir).
    warmup: WarmupConfig | None = None


@dataclass
class ModelConfig:
    """The policy model: a Hub id or local path, or a tiny model built in process."""

    name_or_path: str = "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"
    revision: str = "main"
    dtype: str = "bfloat16"
    attn_implementation: str | None = "flash_attention_2"
    # Set for the offline path: build a random Qwen2 and a local tokenizer instead of loading.
    tiny: TinyModelConfig | None = None
    # Optional path to a checkpoint to start from (e.g. a warm-up SFT model); overrides name_or_path.
    init_checkpoint: str | None = None


@dataclass
class DatasetConfig:
    """Where the training problems come from and how they become prompts."""

    name: str = "open_rs"
    # A Hub dataset id, a local file/folder (jsonl, json, parquet), "builtin:<file under openrs/data>" or
    # "builtin:<dotted path>" of a generator (num_rows, seed) -> rows; null when `mix` names the sources.
    path: str | None = "knoveleng/open-rs"
    split: str = "train"
    problem_column: str = "problem"
    answer_column: str = "answer"
    solution_column: str | None = "solution"
    system_prompt: str = PAPER_SYSTEM_PROMPT
    # Rows to train on, drawn with the seed after filtering: a cap for one source; for a mix, the
    # total split by weight (null: the largest mix that keeps the weights' proportions).
    max_rows: int | None = None
    # Only for builtin generators: how many problems to generate.
    num_rows: int = 256
    # Longest templated prompt, in tokens (TRL 1.16 no longer has a limit of its own).
    max_prompt_length: int = 512
    # A longer prompt is "drop"ped (openrs: a truncated prompt loses the system prompt and the start of
    # the problem) or "truncate"d on the left to its last max_prompt_length tokens (the paper's TRL).
    long_prompts: str = "drop"
    # Drop repeated problems (case and whitespace ignored), keeping the first; across a mix too.
    # The paper did not deduplicate.
    dedupe: bool = True
    # Keep only problems whose gold answer math-verify parses (others can never be rewarded).
    require_parseable_answer: bool = False
    # Named sources replacing `path`: {name: {path, weight | rows, split?, problem_column?, ...}};
    # unset column keys fall back to the ones above; weight 0 leaves a source out (not loaded).
    mix: dict[str, Any] = field(default_factory=dict)


@dataclass
class RewardConfig:
    """Reward functions keyed by name: {_target_, weight, ...params}, and when a misbehaving one stops training."""

    funcs: dict[str, Any] = field(default_factory=dict)
    # A reward returning NaN or None for every row of a batch, or for more than this share of the rows of
    # its last `invalid_window` batches, stops training (null: never, for rewards that return None by
    # design, e.g. for another task's rows). A raise, a wrong count or inf always stops it.
    max_invalid_share: float | None = 0.5
    invalid_window: int = 10


@dataclass
class OptimizerConfig:
    """The paper's AdamW with a cosine schedule decaying to 10% of the peak lr."""

    name: str = "adamw_torch"
    lr: float = 1.0e-6
    weight_decay: float = 0.0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    max_grad_norm: float = 1.0
    lr_scheduler_type: str = "cosine_with_min_lr"
    min_lr_rate: float = 0.1
    warmup_ratio: float = 0.1


@dataclass
class HardwareConfig:
    """Process layout and precision for one machine (or one SLURM job)."""

    name: str = "local_4gpu"
    device: str = "cuda"  # "cuda" or "cpu"
    num_gpus: int = 4
    num_training_processes: int = 3
    bf16: bool = True
    gradient_checkpointing: bool = True
    use_vllm: bool = True
    vllm_mode: str = "server"  # "server" (own GPU) or "colocate"
    vllm_gpu_memory_utilization: float = 0.7
    vllm_server_host: str = "127.0.0.1"
    # 0: openrs picks free ports for the server and TRL's weight-sync group (several jobs per node).
    vllm_server_port: int = 8000
    vllm_server_gpu: int = 3
    # How long openrs waits for `trl vllm-serve` to answer /health before giving up.
    vllm_server_timeout_s: float = 600.0
    deepspeed: str | None = "zero2"  # "zero2", "zero3" or null
    # accelerate's rendezvous port for multi-process runs; 0 picks a free one.
    main_process_port: int = 0
    # The layout runs inside a SLURM job (submitted with `-m hydra/launcher=openrs_slurm`).
    slurm_job: bool = False
    # Nodes of that SLURM job one run spans (hardware=slurm_multinode); num_training_processes is per node.
    num_nodes: int = 1
    # With several nodes, the vLLM server runs on GPU vllm_server_gpu of the "first" node, or on the
    # last node, "own"ed by it (that node trains nothing).
    vllm_server_node: str = "first"
    # CPU threads of each process (torch intra- and inter-op, OpenMP/MKL, launched children); null: torch's
    # default, one per core, whose OpenMP threads spin-wait beside other work (bench/threads_results.md).
    torch_threads: int | None = 1
    # DataLoader worker processes per training process (0: batches are collated in the training process).
    dataloader_num_workers: int = 0
    # Hugging Face tokenizers' own thread pool (TOKENIZERS_PARALLELISM); off: tokenising is a small share.
    tokenizers_parallelism: bool = False


@dataclass
class TrainerConfig:
    """GRPO settings passed on to TRL's GRPOConfig: the paper's recipe (Exp2), except the four loss and
    sampling switches below, where openrs keeps TRL 1.16's behaviour and `trainer=paper` sets the
    paper's TRL (69ad852) back (README: the fidelity table)."""

    num_generations: int = 6
    per_device_train_batch_size: int = 6
    gradient_accumulation_steps: int = 4
    max_completion_length: int = 3584
    temperature: float = 0.7
    top_p: float = 1.0
    max_steps: int = 500
    save_steps: int = 50
    save_total_limit: int | None = None
    logging_steps: int = 1
    beta: float = 0.04
    epsilon: float = 0.2
    # Loss normalisation (TRL 1.16 names): "dapo" divides by the completion tokens of the whole accumulated
    # batch, the same objective on any process layout; "bnpo" by those of each micro-batch (the paper's TRL).
    loss_type: str = "dapo"
    # Advantages (r - group mean) / (group std + 1e-4), as in the paper's TRL.
    scale_rewards: str = "group"
    # Micro-steps served by one generation; null: TRL's default, one batched generation per optimiser
    # step (same policy, fewer vLLM calls); 1: one generation per micro-step (the paper's TRL).
    steps_per_generation: int | None = None
    # Score log-probabilities at the sampling temperature (TRL 1.16); false: from the raw logits, as the
    # paper's TRL did (it sampled at 0.7 but scored at 1.0).
    logprobs_at_sampling_temperature: bool = True
    # TRL 1.16 weights the KL term by the importance ratio, which changes its gradient even on-policy;
    # the paper's TRL did not (false).
    use_bias_correction_kl: bool = True
    # Off by default: users of the original found that logging completions slowed training.
    log_completions: bool = False
    # Extra GRPOConfig keys for anything not modelled here; checked against GRPOConfig's fields.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunConfig:
    """Where and how a run writes: loggers, resume, wall-time budget."""

    logger: str = "jsonl"  # "jsonl" or "wandb" (jsonl is always written)
    wandb_project: str = "openrs"
    # "auto": continue from the run dir's last complete checkpoint; "never": start from step 0.
    resume: str = "auto"
    # Checking that the Hub is reachable costs at most this many seconds before any download.
    hub_timeout_s: float = 5.0
    # Push checkpoints to the Hub as the paper did (hub_strategy every_save) to hub_model_id ("name" or
    # "user/name", required then); the token and the Hub are checked before training.
    push_to_hub: bool = False
    hub_model_id: str | None = None
    hub_strategy: str = "every_save"


@dataclass
class ValidationConfig:
    """Benchmark pass@1 of the policy during training (off by default), and the best checkpoint kept."""

    # Every this many optimizer steps (0: off); also at step 0 when at_start.
    every: int = 0
    at_start: bool = True
    # Packaged benchmark names (openrs/data/benchmarks), or <benchmark_dir>/<name>.jsonl files.
    benchmarks: list[str] = field(default_factory=lambda: ["aime24", "amc23"])
    benchmark_dir: str | None = None
    # The first `limit` problems of each benchmark (null: all), each sampled num_samples times.
    limit: int | None = None
    num_samples: int = 1
    checker: str = "paper"  # "paper" or "boxed", as eval.checker
    # Sampling; null: the paper's evaluation protocol (openrs.evaluate's SamplingConfig, eval=paper). A
    # shorter max_new_tokens keeps validation cheap; it is also capped by the model's context length.
    temperature: float | None = None
    top_p: float | None = None
    max_new_tokens: int | None = None
    seed: int | None = None
    # Prompts per model.generate call.
    batch_size: int = 8
    # What picks the best checkpoint (higher is better): a val/ metric without its prefix, e.g.
    # "mean_pass@1" or "aime24/pass@1".
    metric: str = "mean_pass@1"
    # Stop after this many validations without a better metric (transformers' EarlyStoppingCallback); null: never.
    patience: int | None = None


@dataclass
class TrainConfig:
    """The whole training run."""

    model: ModelConfig = field(default_factory=ModelConfig)
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    hardware: HardwareConfig = field(default_factory=HardwareConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    run: RunConfig = field(default_factory=RunConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    # Extra TrainerCallbacks: {name: {_target_, ...params}}; each also receives `run_dir`.
    callbacks: dict[str, Any] = field(default_factory=dict)
    seed: int = 42
    experiment_name: str = "default"
