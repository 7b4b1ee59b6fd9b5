"""Policy weights into a colocated vLLM on vLLM's CPU platform, where TRL 1.16's own sync fails.

TRL's `VLLMGeneration.sync_weights` (colocate) calls the vLLM model's `load_weights` with each
parameter; vLLM's CPU backend has repacked the linear weights for its kernels by then, and the
repacked parameters have no `weight_loader` ('Parameter' object has no attribute 'weight_loader').
vLLM's `reload_weights` first restores the checkpoint layout, loads, then repacks again, so the
weights arrive whole. A tied `lm_head` is not among the weights sent (it is the embedding), but its
CPU GEMM keeps a packed copy of the old embedding, so it is repacked after each reload.
Used only on vLLM's CPU platform in colocate mode; remove it the day TRL's sync runs there (check:
`hardware=cpu_vllm` trains, and tests/integration/test_vllm_colocate.py passes, without this module).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class CPUColocateWeightSync:
    """TRL's VLLMGeneration with `sync_weights` done through vLLM's reload path; all else delegated."""

    def __init__(self, generation) -> None:
        self._generation = generation
        self.syncs = 0  # how many times the weights were sent (tests and logs read it)

    def __getattr__(self, name: str):
        return getattr(self._generation, name)

    def sync_weights(self) -> None:
        """Send every policy parameter (gathered as TRL gathers them) to the engine in one reload."""
        generation = self._generation
        runner = generation.llm.llm_engine.model_executor.driver_worker.model_runner
        # TRL's iterator: vLLM's parameter names, DeepSpeed/FSDP gathering, PEFT merging.
        runner.reload_weights(weights_iterator=generation._iter_named_params(), is_checkpoint_format=True)
        repack_tied_lm_head(runner.get_model())
        generation.llm.reset_prefix_cache()
        self.syncs += 1


def repack_tied_lm_head(model) -> None:
    """Rebuild the CPU GEMM of an lm_head that shares the (just reloaded) embedding's weight."""
    head, inner = getattr(model, "lm_head", None), getattr(model, "model", None)
    embed = getattr(inner, "embed_tokens", None)
    if head is not None and embed is not None and head.weight is embed.weight:
        head.quant_method.process_weights_after_loading(head)


def needs_cpu_weight_sync(trainer) -> bool:
    """Whether `trainer` generates with a colocated vLLM running on vLLM's CPU platform."""
    if not getattr(trainer, "use_vllm", False) or getattr(trainer, "vllm_mode", None) != "colocate":
        return False
    from vllm.platforms import current_platform

    return current_platform.is_cpu()


def use_cpu_weight_sync(trainer) -> None:
    """Route `trainer`'s weight sync through vLLM's reload path where TRL's cannot run (see module doc)."""
    if needs_cpu_weight_sync(trainer) and not isinstance(trainer.vllm_generation, CPUColocateWeightSync):
        trainer.vllm_generation = CPUColocateWeightSync(trainer.vllm_generation)
        log.info("vLLM on CPU: policy weights reach the colocated engine through vLLM's reload_weights")
