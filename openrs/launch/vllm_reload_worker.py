"""Server side of the CPU weight sync: a vLLM worker extension that reloads the policy from a file.

vLLM's CPU build has no NCCL weight-transfer engine, which `trl vllm-serve` and TRL's VLLMClient use to
push the policy into a generation server. On CPU the trainer writes the policy's tensors to a safetensors
file the server can read (same machine) and calls this method through vLLM's `/collective_rpc`
(dev mode); it runs vLLM's own `reload_weights`, the path the colocated CPU sync uses
(openrs.training.vllm_cpu_sync), from disk instead of from an in-process iterator.

Loaded into the server with `--worker-extension-cls openrs.launch.vllm_reload_worker.ReloadFromFile`;
keep its imports light: it is imported by every vLLM worker.
"""

from __future__ import annotations

RELOAD_METHOD = "openrs_reload_weights"
EXTENSION = f"{__name__}.ReloadFromFile"


class ReloadFromFile:
    """Mixed into vLLM's worker class; `self` is the worker."""

    def openrs_reload_ready(self) -> bool:
        """True: the client's check, at start-up, that this server can take weights from a file."""
        return True

    def openrs_reload_weights(self, weights_dir: str) -> str:
        """Load every tensor of `weights_dir`'s safetensors into the model (checkpoint names); returns the dir."""
        from openrs.training.vllm_cpu_sync import repack_tied_lm_head

        self.reload_weights(weights_path=weights_dir, is_checkpoint_format=True)
        repack_tied_lm_head(self.model_runner.get_model())
        return weights_dir
