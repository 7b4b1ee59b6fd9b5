"""Generators behind one interface: vLLM on GPUs, transformers `generate` anywhere (batched)."""

from __future__ import annotations

import gc
import importlib.util
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from openrs.errors import EnvironmentUnavailableError
from openrs.evaluate.config import BackendConfig, SamplingConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Generation:
    """One completion: its text, its length in tokens, and why it ended ("stop" or "length")."""

    text: str
    num_tokens: int
    finish_reason: str


@dataclass(frozen=True)
class ResolvedBackend:
    """The backend, device and dtype a run actually uses (recorded in results.json)."""

    name: str
    device: str
    dtype: str


class Generator(Protocol):
    """Turns prompts (token ids) into completions; `chunk_size` prompts per call."""

    chunk_size: int

    def generate(self, prompts: list[list[int]], seeds: list[int]) -> list[Generation]: ...

    def close(self) -> None: ...


def resolve_backend(cfg: BackendConfig) -> ResolvedBackend:
    """Pick the backend ("auto": vLLM when it is installed and a GPU is visible), device and dtype."""
    import torch

    cuda = torch.cuda.is_available()
    has_vllm = importlib.util.find_spec("vllm") is not None
    name = cfg.name if cfg.name != "auto" else ("vllm" if cuda and has_vllm else "transformers")
    if name == "vllm" and not has_vllm:
        raise EnvironmentUnavailableError(
            "backend.name=vllm needs the 'vllm' package: pip install -e '.[gpu]'"
        )
    if name == "vllm":  # a vLLM CPU build (launchers/setup_vllm_cpu.sh) generates on the CPU
        from openrs.cpu_platform import vllm_platform

        device = "cpu" if vllm_platform() == "cpu" else "cuda"
    elif cfg.device == "auto":
        device = "cuda" if cuda else "cpu"
    else:
        device = cfg.device
    if device == "cuda" and not cuda:
        raise EnvironmentUnavailableError(
            f"backend {name} on cuda needs a CUDA GPU and this machine has none; use backend.name=transformers "
            "backend.device=cpu"
        )
    dtype = cfg.dtype if cfg.dtype != "auto" else ("bfloat16" if device == "cuda" else "float32")
    return ResolvedBackend(name, device, dtype)


class TransformersGenerator:
    """Batched sampling with `model.generate`, seeded per batch."""

    def __init__(
        self,
        model_path: str,
        revision: str,
        tokenizer,
        backend: ResolvedBackend,
        cfg: BackendConfig,
        sampling: SamplingConfig,
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        self.tokenizer, self.sampling, self.device = tokenizer, sampling, backend.device
        self.chunk_size = cfg.batch_size
        self.threads_before = torch.get_num_threads()
        if backend.device == "cpu" and cfg.cpu_threads:
            torch.set_num_threads(cfg.cpu_threads)
        model = AutoModelForCausalLM.from_pretrained(
            model_path, revision=revision, dtype=getattr(torch, backend.dtype)
        ).to(backend.device)
        model.eval()
        self._use_model(model)

    @classmethod
    def for_model(cls, model, tokenizer, sampling: SamplingConfig, batch_size: int) -> TransformersGenerator:
        """A generator over a model already loaded (the policy during training); nothing is loaded or freed."""
        generator = cls.__new__(cls)
        generator.tokenizer, generator.sampling, generator.device = tokenizer, sampling, model.device
        generator.chunk_size = batch_size
        generator._use_model(model)
        return generator

    def _use_model(self, model) -> None:
        """Generate with `model`, stopping at its end-of-sequence ids and padding with the tokenizer's pad id."""
        self.model = model
        eos = model.generation_config.eos_token_id
        eos = eos if eos is not None else self.tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos])
        pad = self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else min(self.eos_ids)

    def generate(self, prompts: list[list[int]], seeds: list[int]) -> list[Generation]:
        """Left-pad the prompts into one batch and sample; the batch is seeded with its first item's seed."""
        import torch

        width = max(len(p) for p in prompts)
        ids = torch.tensor([[self.pad_id] * (width - len(p)) + p for p in prompts], device=self.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=self.device)
        sampling = self.sampling
        options = (
            {"do_sample": True, "temperature": sampling.temperature, "top_p": sampling.top_p, "top_k": 0}
            if sampling.temperature > 0
            else {"do_sample": False}
        )
        torch.manual_seed(seeds[0])
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=sampling.max_new_tokens,
                pad_token_id=self.pad_id,
                eos_token_id=sorted(self.eos_ids),
                **options,
            )
        return [self._finish(row[width:].tolist()) for row in out]

    def _finish(self, tokens: list[int]) -> Generation:
        end = next((i for i, t in enumerate(tokens) if t in self.eos_ids), None)
        kept = tokens if end is None else tokens[:end]
        text = self.tokenizer.decode(kept, skip_special_tokens=True)
        return Generation(text, len(kept) + (end is not None), "length" if end is None else "stop")

    def close(self) -> None:
        """Free the model and restore torch's thread count."""
        import torch

        del self.model
        gc.collect()
        torch.set_num_threads(self.threads_before)


class VLLMGenerator:
    """vLLM offline generation with one seeded request per completion (imported only when chosen)."""

    def __init__(
        self,
        model_path: str,
        revision: str,
        tokenizer,
        backend: ResolvedBackend,
        cfg: BackendConfig,
        sampling: SamplingConfig,
        sampling_args: dict[str, Any] | None = None,
    ) -> None:
        from vllm import LLM

        self.sampling, self.max_model_len, self.chunk_size = sampling, cfg.max_model_len, cfg.chunk_size
        # Further vllm.SamplingParams arguments (the throughput benchmark sets ignore_eos).
        self.sampling_args = dict(sampling_args or {})
        engine_args = {
            "model": model_path,
            "revision": revision,
            "dtype": backend.dtype,
            "seed": sampling.seed,
            "max_model_len": cfg.max_model_len,
            "gpu_memory_utilization": cfg.gpu_memory_utilization,
            "tensor_parallel_size": cfg.tensor_parallel_size,
            "enforce_eager": cfg.enforce_eager,
            "enable_prefix_caching": True,  # the n samples of a problem share its prompt
        }
        if backend.device == "cpu":  # seeded requests need chunked prefill off; memory is a share of RAM
            from openrs.cpu_platform import vllm_cpu_engine_args

            engine_args.update(vllm_cpu_engine_args())
        self.llm = LLM(**{**engine_args, **cfg.vllm_engine_args})
        self.owns_engine = True

    @classmethod
    def for_engine(cls, llm, sampling: SamplingConfig, max_model_len: int) -> VLLMGenerator:
        """Generation on an engine someone else owns (a trainer's colocated vLLM): `close` leaves it running."""
        generator = cls.__new__(cls)
        generator.llm, generator.sampling, generator.max_model_len = llm, sampling, max_model_len
        generator.chunk_size, generator.sampling_args, generator.owns_engine = (
            BackendConfig.chunk_size,
            {},
            False,
        )
        return generator

    def generate(self, prompts: list[list[int]], seeds: list[int]) -> list[Generation]:
        """One request per prompt with its own seed; a completion also stops at max_model_len, as in lighteval."""
        from vllm import SamplingParams

        s = self.sampling
        params = [
            SamplingParams(
                n=1,
                temperature=s.temperature,
                top_p=s.top_p,
                seed=seed,
                skip_special_tokens=True,
                max_tokens=max(1, min(s.max_new_tokens, self.max_model_len - len(prompt))),
                **self.sampling_args,
            )
            for prompt, seed in zip(prompts, seeds, strict=True)
        ]
        requests = [{"prompt_token_ids": prompt} for prompt in prompts]
        outputs = self.llm.generate(requests, params, use_tqdm=True)
        return [
            Generation(
                o.outputs[0].text or "",
                len(o.outputs[0].token_ids),
                "length" if o.outputs[0].finish_reason == "length" else "stop",
            )
            for o in outputs
        ]

    def close(self) -> None:
        """Shut the engine down and free GPU memory for the next checkpoint (if this generator started it)."""
        import torch

        if not self.owns_engine:
            return
        engine = getattr(self.llm, "llm_engine", None)
        shutdown = getattr(getattr(engine, "engine_core", None), "shutdown", None)
        if callable(shutdown):
            shutdown()
        del self.llm
        gc.collect()
        torch.cuda.empty_cache()


def build_generator(
    model_path: str,
    revision: str,
    tokenizer,
    backend: ResolvedBackend,
    cfg: BackendConfig,
    sampling: SamplingConfig,
) -> Generator:
    """The generator for the resolved backend, with the model loaded."""
    kind = VLLMGenerator if backend.name == "vllm" else TransformersGenerator
    log.info("loading %s with %s on %s (%s)", model_path, backend.name, backend.device, backend.dtype)
    return kind(model_path, revision, tokenizer, backend, cfg, sampling)
