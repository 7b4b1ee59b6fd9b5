"""Typed schemas for `python -m openrs.evaluate`; the defaults are the paper's protocol.

Open RS scored models with lighteval (open-r1's `evaluate.py`): vLLM in bf16, the chat template, one
sample per problem at temperature 0.6 / top_p 0.95, up to 32,768 new tokens, and lighteval's
MATH_QUERY_TEMPLATE below. YAML files under `conf/eval/` state only what differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore

from openrs.data.benchmarks import BENCHMARKS
from openrs.errors import ConfigError

PROBLEM_PLACEHOLDER = "{problem}"
# lighteval's MATH_QUERY_TEMPLATE as open-r1/open-rs used it (two spaces after "clearly." included).
PAPER_EVAL_PROMPT = (
    "Solve the following math problem efficiently and clearly.  The last line of your response should "
    "be of the following format: 'Therefore, the final answer is: $\\boxed{ANSWER}$. I hope it is "
    "correct' (without quotes) where ANSWER is just the final number or expression that solves the "
    "problem. Think step by step before answering.\n\n{problem}"
)
BACKENDS = ("auto", "vllm", "transformers")
# paper: lighteval's extractive_match as Open RS configured it (evaluate/paper_checker.py);
# boxed: the accuracy reward's check, the last \boxed{} against the `answer` column.
CHECKERS = ("paper", "boxed")
PAPER_REFERENCES = ("auto", "none", "exp1", "exp2", "exp3")
DTYPES = ("auto", "bfloat16", "float16", "float32")


@dataclass
class SamplingConfig:
    """How completions are sampled: the paper's settings plus the number of samples per problem."""

    temperature: float = 0.6
    top_p: float = 0.95
    max_new_tokens: int = 32768
    # The paper drew one sample; n > 1 gives pass@1 as a mean over n with a usable standard error.
    num_samples: int = 1
    # Every completion's own seed is derived from this one (and recorded beside it).
    seed: int = 42


@dataclass
class ProtocolConfig:
    """The `eval` group: benchmarks, prompt and sampling; `paper` is the paper's protocol."""

    name: str = "paper"
    benchmarks: list[str] = field(default_factory=lambda: list(BENCHMARKS))
    # `{problem}` is replaced by the problem text; no other braces are interpreted.
    prompt_template: str = PAPER_EVAL_PROMPT
    system_prompt: str | None = None
    use_chat_template: bool = True
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    # k values reported as pass@k (unbiased, Chen et al. 2021) and maj@k; those above num_samples are skipped.
    k: list[int] = field(default_factory=lambda: [1])
    # Only the first `limit` problems of each benchmark (smoke tests); null = all.
    limit: int | None = None
    # How answers are scored (see CHECKERS); stored rows scored by another checker are re-scored.
    checker: str = "paper"
    # Bounds on the answer checker: checker processes (0 means 1: no check runs in this process) and
    # seconds per check, past which the check is killed and scored wrong.
    check_workers: int = 2
    check_timeout_s: float = 10.0
    # A folder of <benchmark>.jsonl files to use instead of the packaged copies (e.g. the Hub sets).
    benchmark_dir: str | None = None


@dataclass
class BackendConfig:
    """The generator: vLLM on GPUs, transformers `generate` anywhere; "auto" picks vLLM when it can run."""

    name: str = "auto"
    # "auto": bfloat16 on a GPU (as the paper), float32 on CPU.
    dtype: str = "auto"
    # transformers: "auto" (cuda when available), "cpu" or "cuda"; prompts per generate() call.
    device: str = "auto"
    batch_size: int = 8
    # torch's CPU threads for transformers on CPU (null: torch's default; 1 is fastest on a busy machine).
    cpu_threads: int | None = None
    # vLLM: the paper's lighteval settings; requests per generate() call (results are saved after each).
    max_model_len: int = 32768
    gpu_memory_utilization: float = 0.8
    tensor_parallel_size: int = 1
    chunk_size: int = 1024
    enforce_eager: bool = False
    # Further vllm.LLM arguments, e.g. {kv_cache_dtype: fp8}.
    vllm_engine_args: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckpointsConfig:
    """Which checkpoints of a training run dir to evaluate."""

    # Every k-th checkpoint in step order (the first and the last always included).
    every: int = 1
    # Evaluate the run's `init_model` as step 0.
    include_init: bool = True
    # Only the best step by the run's validation (`checkpoints=best`; summary.json, else trainer_state.json).
    best: bool = False


@dataclass
class EvalConfig:
    """The whole evaluation: what model, which protocol, on which backend."""

    # A Hub id, a model dir, a `checkpoint-N` dir, or a training run dir (every checkpoint is evaluated).
    model_path: str = "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"
    revision: str = "main"
    eval: ProtocolConfig = field(default_factory=ProtocolConfig)
    backend: BackendConfig = field(default_factory=BackendConfig)
    checkpoints: CheckpointsConfig = field(default_factory=CheckpointsConfig)
    # Checking that the Hub is reachable costs at most this many seconds before any download.
    hub_timeout_s: float = 5.0
    # The paper's own scores per checkpoint drawn beside the curve: "auto" picks the training run's
    # experiment (exp1/2/3) or shows all three; "none" leaves them out.
    paper_reference: str = "auto"


def register_eval_configs() -> None:
    """Store `base_evaluate` (the root schema) and `eval/base_eval` in Hydra's ConfigStore."""
    cs = ConfigStore.instance()
    cs.store(name="base_evaluate", node=EvalConfig)
    cs.store(group="eval", name="base_eval", node=ProtocolConfig)


def _problems(cfg: EvalConfig) -> list[tuple[bool, str]]:
    """(ok, message) for every check of a config value, in the order they are reported."""
    protocol, sampling, backend = cfg.eval, cfg.eval.sampling, cfg.backend
    unknown = [b for b in protocol.benchmarks if b not in BENCHMARKS]
    return [
        (
            not unknown,
            f"eval.benchmarks: unknown benchmark '{unknown and unknown[0]}'; choose from {', '.join(BENCHMARKS)}",
        ),
        (bool(protocol.benchmarks), f"eval.benchmarks is empty; choose from {', '.join(BENCHMARKS)}"),
        (
            len(set(protocol.benchmarks)) == len(protocol.benchmarks),
            "eval.benchmarks names a benchmark twice",
        ),
        (
            PROBLEM_PLACEHOLDER in protocol.prompt_template,
            f"eval.prompt_template must contain {PROBLEM_PLACEHOLDER}",
        ),
        (sampling.num_samples >= 1, f"eval.sampling.num_samples must be >= 1, got {sampling.num_samples}"),
        (
            sampling.max_new_tokens >= 1,
            f"eval.sampling.max_new_tokens must be >= 1, got {sampling.max_new_tokens}",
        ),
        (sampling.temperature >= 0, f"eval.sampling.temperature must be >= 0, got {sampling.temperature}"),
        (0 < sampling.top_p <= 1, f"eval.sampling.top_p must be in (0, 1], got {sampling.top_p}"),
        (bool(protocol.k) and min(protocol.k) >= 1, f"eval.k must be integers >= 1, got {protocol.k}"),
        (
            protocol.limit is None or protocol.limit >= 1,
            f"eval.limit must be >= 1 or null, got {protocol.limit}",
        ),
        (
            protocol.checker in CHECKERS,
            f"eval.checker: unknown checker '{protocol.checker}'; choose from {', '.join(CHECKERS)}",
        ),
        (protocol.check_workers >= 0, f"eval.check_workers must be >= 0, got {protocol.check_workers}"),
        (protocol.check_timeout_s > 0, f"eval.check_timeout_s must be > 0, got {protocol.check_timeout_s}"),
        (
            backend.name in BACKENDS,
            f"backend.name: unknown backend '{backend.name}'; choose from {', '.join(BACKENDS)}",
        ),
        (
            backend.dtype in DTYPES,
            f"backend.dtype: unknown dtype '{backend.dtype}'; choose from {', '.join(DTYPES)}",
        ),
        (
            backend.device in ("auto", "cpu", "cuda"),
            f"backend.device must be auto, cpu or cuda, got '{backend.device}'",
        ),
        (backend.batch_size >= 1, f"backend.batch_size must be >= 1, got {backend.batch_size}"),
        (
            backend.cpu_threads is None or backend.cpu_threads >= 1,
            f"backend.cpu_threads must be >= 1 or null, got {backend.cpu_threads}",
        ),
        (backend.chunk_size >= 1, f"backend.chunk_size must be >= 1, got {backend.chunk_size}"),
        (
            cfg.paper_reference in PAPER_REFERENCES,
            f"paper_reference: unknown '{cfg.paper_reference}'; choose from {', '.join(PAPER_REFERENCES)}",
        ),
        (cfg.checkpoints.every >= 1, f"checkpoints.every must be >= 1, got {cfg.checkpoints.every}"),
    ]


def validate_eval_config(cfg: EvalConfig) -> None:
    """Raise ConfigError naming the first bad value; nothing is loaded."""
    for ok, message in _problems(cfg):
        if not ok:
            raise ConfigError(message)
