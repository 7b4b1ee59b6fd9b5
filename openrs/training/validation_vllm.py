"""Validation generating through the trainer's own vLLM engine (colocated, or the server of cpu_server and
local_4gpu) instead of `model.generate`: one seeded request per completion, as `openrs.evaluate`'s vLLM backend.

Before it generates, the engine gets the current policy through TRL's own sync (marked as done for this
step, so TRL does not send the same weights again before the next generation).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from openrs.evaluate.backends import Generation, VLLMGenerator
from openrs.evaluate.config import SamplingConfig

log = logging.getLogger(__name__)

SERVER_CONCURRENCY = 16  # requests in flight: the server batches them


def vllm_mode(trainer) -> str | None:
    """ "colocate" or "server" when `trainer` generates with vLLM, else None."""
    return trainer.vllm_mode if getattr(trainer, "use_vllm", False) else None


def sync_policy(trainer) -> None:
    """Send the current weights to the engine (every process takes part), once per optimizer step."""
    step = trainer.state.global_step
    if trainer._last_loaded_step != step:
        trainer.vllm_generation.sync_weights()
        trainer._last_loaded_step = step


def engine_generator(trainer, tokenizer, sampling: SamplingConfig):
    """A Generator (openrs.evaluate.backends) over the trainer's engine; None on processes without one."""
    if vllm_mode(trainer) == "colocate":
        llm = trainer.vllm_generation.llm
        return VLLMGenerator.for_engine(llm, sampling, llm.llm_engine.model_config.max_model_len)
    client = getattr(trainer.vllm_generation, "vllm_client", None)  # the main process's alone
    if client is None:
        return None
    max_model_len = client._get(f"{client.base_url}/v1/models")["data"][0]["max_model_len"]
    return ServerGenerator(client, tokenizer, sampling, max_model_len)


class ServerGenerator:
    """Seeded completions from a vLLM server through TRL's VLLMClient (its `/v1/completions`)."""

    def __init__(self, client, tokenizer, sampling: SamplingConfig, max_model_len: int) -> None:
        self.client, self.tokenizer, self.sampling, self.max_model_len = (
            client,
            tokenizer,
            sampling,
            max_model_len,
        )

    def generate(self, prompts: list[list[int]], seeds: list[int]) -> list[Generation]:
        """One request per completion with its own seed, sent concurrently."""
        with ThreadPoolExecutor(max_workers=SERVER_CONCURRENCY) as pool:
            return list(pool.map(self._one, prompts, seeds))

    def _one(self, prompt: list[int], seed: int) -> Generation:
        s = self.sampling
        max_tokens = max(1, min(s.max_new_tokens, self.max_model_len - len(prompt)))
        out = self.client.generate(
            prompts=[prompt], n=1, temperature=s.temperature, top_p=s.top_p, max_tokens=max_tokens,
            logprobs=None, generation_kwargs={"seed": seed},
        )  # fmt: skip
        ids = out["completion_ids"][0]
        eos = self.tokenizer.eos_token_id
        finished = bool(ids) and ids[-1] == eos
        text = self.tokenizer.decode(ids, skip_special_tokens=True)
        return Generation(text, len(ids), "stop" if finished or len(ids) < max_tokens else "length")

    def close(self) -> None:
        """Nothing to release: the server belongs to the run."""
