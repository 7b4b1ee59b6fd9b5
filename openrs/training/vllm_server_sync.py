"""Policy weights into a vLLM generation server running on CPU, where TRL 1.16's server sync cannot run.

TRL's server mode (`VLLMClient.init_communicator`, `update_named_params`) streams the weights over vLLM's
NCCL weight-transfer engine, which needs CUDA on both sides; vLLM's CPU build has none. Here the main
training process writes the tensors TRL's own iterator yields (vLLM's names, DeepSpeed/FSDP gathering,
PEFT merging) to a safetensors file beside the server, and asks the server, through vLLM's
`/collective_rpc`, to reload from it with vLLM's `reload_weights` (openrs.launch.vllm_reload_worker).
Everything else (generation, the prefix-cache reset, the collectives of the other processes) is TRL's.

`hardware.device=cpu` with `vllm_mode=server` (hardware=cpu_server) selects it through the config field
`vllm_weight_sync="reload"`; on CUDA the field stays "nccl" and TRL's classes run unchanged. Remove this
module the day vLLM's CPU build has a weight-transfer engine TRL can drive (check: hardware=cpu_server
trains, and tests/integration/test_vllm_cpu_server.py passes, with vllm_weight_sync="nccl").
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import torch
from trl.generation.vllm_client import VLLMClient
from trl.generation.vllm_generation import VLLMGeneration

from openrs.launch.vllm_reload_worker import EXTENSION, RELOAD_METHOD

log = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"
RELOAD_TIMEOUT_S = 600.0


class FileReloadVLLMClient(VLLMClient):
    """TRL's VLLMClient whose weight updates go through a file and the server's reload, not NCCL."""

    def __init__(self, *args, weights_dir: str | Path | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.weights_dir = Path(weights_dir) if weights_dir else Path(tempfile.mkdtemp(**_scratch()))
        self.syncs = 0  # weight updates sent (logged; tests read it)

    def init_communicator(self, device=0) -> None:
        """No process group: check that the server has openrs's reload method, so that a wrong server fails now."""
        try:
            self._post(f"{self.base_url}/collective_rpc", json={"method": "openrs_reload_ready"})
        except Exception as err:  # requests' HTTPError after TRL's retries, or a connection error
            raise RuntimeError(
                f"the vLLM server at {self.base_url} cannot reload weights from a file: start it with "
                f"VLLM_SERVER_DEV_MODE=1 and --worker-extension-cls {EXTENSION} (openrs's launcher does) ({err})"
            ) from err
        atexit.register(self.close_communicator)

    def update_named_params(
        self, metadata: list[tuple[str, str, list[int]]], named_params: Iterator[tuple[str, torch.Tensor]]
    ) -> None:
        """Write every tensor of `named_params` to one safetensors file, then have the server reload from it."""
        from safetensors.torch import save_file

        began = time.monotonic()
        tensors = {name: tensor.detach().to("cpu").contiguous().clone() for name, tensor in named_params}
        self.weights_dir.mkdir(parents=True, exist_ok=True)
        partial = self.weights_dir / f".{WEIGHTS_FILE}.partial"
        save_file(tensors, str(partial))
        os.replace(partial, self.weights_dir / WEIGHTS_FILE)  # the server never reads a half-written file
        written = time.monotonic()
        self._post(
            f"{self.base_url}/collective_rpc",
            json={"method": RELOAD_METHOD, "args": [str(self.weights_dir)], "timeout": RELOAD_TIMEOUT_S},
        )
        self.syncs += 1
        size_mb = sum(t.numel() * t.element_size() for t in tensors.values()) / 2**20
        log.info(
            "vLLM server weights updated (sync %d): %d tensors, %.1f MB written in %.2f s, reloaded in %.2f s",
            self.syncs, len(tensors), size_mb, written - began, time.monotonic() - written,
        )  # fmt: skip

    def close_communicator(self) -> None:
        """Remove the weights file's directory (there is no process group to close)."""
        shutil.rmtree(self.weights_dir, ignore_errors=True)


class FileReloadGeneration(VLLMGeneration):
    """TRL's VLLMGeneration in server mode with a FileReloadVLLMClient; generation and sync are TRL's."""

    def _init_vllm(self) -> None:
        if self.mode != "server":
            raise ValueError(f"weight sync through a file is for vllm_mode='server', not {self.mode!r}")
        if self.accelerator.is_main_process:  # as TRL: the main process alone talks to the server
            base_url = self.server_base_url or f"http://{self.server_host}:{self.server_port}"
            self.vllm_client = FileReloadVLLMClient(base_url=base_url, connection_timeout=self.server_timeout)
            self.vllm_client.init_communicator()


def file_reload_generation(trainer) -> FileReloadGeneration:
    """The generation backend TRL's GRPOTrainer builds for server mode (grpo_trainer.py, TRL 1.16), as a
    FileReloadGeneration: the same arguments, read from the trainer and its GRPOConfig."""
    args = trainer.args
    return FileReloadGeneration(
        model=trainer.model,
        accelerator=trainer.accelerator,
        processing_class=trainer.processing_class,
        mode="server",
        structured_outputs_regex=args.vllm_structured_outputs_regex,
        server_base_url=args.vllm_server_base_url,
        server_host=args.vllm_server_host,
        server_port=args.vllm_server_port,
        group_port=args.vllm_group_port,
        server_timeout=args.vllm_server_timeout,
        repetition_penalty=trainer.repetition_penalty,
        temperature=trainer.temperature,
        top_p=trainer.top_p,
        top_k=trainer.top_k,
        min_p=trainer.min_p,
        max_completion_length=trainer.max_completion_length,
        logprobs=0,  # as TRL: the sampled tokens' log-probabilities only
        generation_kwargs=args.generation_kwargs,
    )


def _scratch() -> dict:
    """Where the weights file goes: RAM-backed /dev/shm where there is one (the server reads it at once)."""
    shm = Path("/dev/shm")
    return {
        "prefix": "openrs-vllm-weights-",
        "dir": str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None,
    }
