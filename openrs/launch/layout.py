"""The nodes and processes a hardware option asks for, and the batch sizes GRPO and DeepSpeed must agree on."""

from __future__ import annotations

import os
from dataclasses import dataclass

from openrs.config.schema import HardwareConfig, TrainerConfig
from openrs.errors import ConfigError

DEEPSPEED_STAGES = {"zero2": 2, "zero3": 3}
VLLM_MODES = ("server", "colocate")
DEVICES = ("cuda", "cpu")
SERVER_NODES = ("first", "own")


@dataclass(frozen=True)
class NodePlan:
    """How a run uses the nodes of its job."""

    num_nodes: int
    training_nodes: int  # the first ones; each runs hardware.num_training_processes
    server_node: int | None  # the node `trl vllm-serve` runs on; None without a server


def plan_nodes(hw: HardwareConfig) -> NodePlan:
    """The node plan for `hw`; impossible ones fail in one line naming the key."""
    where = f"hardware={hw.name}"
    if hw.num_nodes < 1:
        raise ConfigError(f"{where}: hardware.num_nodes must be at least 1")
    if hw.vllm_server_node not in SERVER_NODES:
        raise ConfigError(
            f"{where}: hardware.vllm_server_node={hw.vllm_server_node!r} is not one of {SERVER_NODES}"
        )
    server = hw.use_vllm and hw.vllm_mode == "server"
    own = server and hw.vllm_server_node == "own"
    if own and hw.num_nodes < 2:
        raise ConfigError(f"{where}: hardware.vllm_server_node=own needs hardware.num_nodes of 2 or more")
    if hw.num_nodes > 1 and not hw.slurm_job:
        raise ConfigError(
            f"{where}: hardware.num_nodes={hw.num_nodes} runs as one SLURM job of as many nodes; set "
            "hardware.slurm_job=true and submit with `-m hydra/launcher=openrs_slurm`"
        )
    server_node = (hw.num_nodes - 1 if own else 0) if server else None
    return NodePlan(hw.num_nodes, hw.num_nodes - int(own), server_node)


@dataclass(frozen=True)
class ProcessLayout:
    """Which processes a run starts and on which devices (CUDA ids as this process sees them)."""

    num_processes: int
    training_gpus: tuple[str, ...]  # empty on CPU
    vllm_gpu: str | None  # the GPU `trl vllm-serve` runs on; None without a vLLM server or on CPU
    deepspeed_stage: int | None
    num_machines: int = 1  # nodes running num_processes each (openrs/launch/multinode.py)
    vllm_server: bool = False  # this launcher starts a vLLM server (on vllm_gpu, or on CPU)

    @property
    def world_size(self) -> int:
        """Training processes over all machines."""
        return self.num_processes * self.num_machines

    @property
    def needs_launcher(self) -> bool:
        """Whether openrs must start processes (accelerate, a vLLM server) rather than train in-process."""
        return self.world_size > 1 or self.vllm_server or self.deepspeed_stage is not None


def visible_gpus(num_gpus: int) -> list[str]:
    """The CUDA ids this process may use: CUDA_VISIBLE_DEVICES (set by SLURM) or 0..num_gpus-1."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible:
        return [gpu.strip() for gpu in visible.split(",") if gpu.strip()]
    return [str(i) for i in range(num_gpus)]


def plan_layout(hw: HardwareConfig, gpus: list[str] | None = None) -> ProcessLayout:
    """The layout for `hw` on the given CUDA ids (default: the visible ones); impossible layouts fail."""
    where = f"hardware={hw.name}"
    if hw.device not in DEVICES:
        raise ConfigError(f"{where}: hardware.device={hw.device!r} is not one of {DEVICES}")
    if hw.deepspeed is not None and hw.deepspeed not in DEEPSPEED_STAGES:
        raise ConfigError(
            f"{where}: hardware.deepspeed={hw.deepspeed!r} is not one of {list(DEEPSPEED_STAGES)} or null"
        )
    if hw.use_vllm and hw.vllm_mode not in VLLM_MODES:
        raise ConfigError(f"{where}: hardware.vllm_mode={hw.vllm_mode!r} is not one of {VLLM_MODES}")
    if hw.num_training_processes < 1:
        raise ConfigError(f"{where}: hardware.num_training_processes must be at least 1")
    stage = DEEPSPEED_STAGES.get(hw.deepspeed) if hw.deepspeed else None
    machines = plan_nodes(hw).training_nodes
    # A server on a node of its own (multi-node) takes no GPU of the training nodes.
    server = plan_nodes(hw).server_node == 0
    # On CPU: DeepSpeed on its CPU accelerator; a vLLM server beside the processes, or colocated.
    if hw.device == "cpu":
        return ProcessLayout(hw.num_training_processes, (), None, stage, machines, vllm_server=server)

    gpus = (gpus if gpus is not None else visible_gpus(hw.num_gpus))[: hw.num_gpus]
    if len(gpus) < hw.num_gpus:  # fewer GPUs here: plan nominal ids (preflight reports the shortage)
        gpus = [str(i) for i in range(hw.num_gpus)]
    if server and not 0 <= hw.vllm_server_gpu < hw.num_gpus:
        raise ConfigError(
            f"{where}: hardware.vllm_server_gpu={hw.vllm_server_gpu} is not one of the "
            f"hardware.num_gpus={hw.num_gpus} GPUs (0..{hw.num_gpus - 1})"
        )
    training = [gpu for i, gpu in enumerate(gpus) if not (server and i == hw.vllm_server_gpu)]
    if hw.num_training_processes > hw.num_gpus - int(server):
        raise ConfigError(
            f"{where}: {hw.num_training_processes} training processes"
            f"{' and a vLLM server' if server else ''} need {hw.num_training_processes + int(server)} GPUs, "
            f"hardware.num_gpus={hw.num_gpus}"
        )
    return ProcessLayout(
        num_processes=hw.num_training_processes,
        training_gpus=tuple(training[: hw.num_training_processes]),
        vllm_gpu=gpus[hw.vllm_server_gpu] if server else None,
        deepspeed_stage=stage,
        num_machines=machines,
        vllm_server=server,
    )


@dataclass(frozen=True)
class BatchSizes:
    """GRPO's batch arithmetic for one optimisation step, as TRL 1.16 and DeepSpeed compute it."""

    per_device: int
    processes: int
    grad_accum: int
    steps_per_generation: int
    num_generations: int

    @property
    def train_batch_size(self) -> int:
        """Completions per optimiser step: DeepSpeed's `train_batch_size`."""
        return self.per_device * self.processes * self.grad_accum

    @property
    def generation_batch_size(self) -> int:
        """Completions generated at once: TRL's `generation_batch_size`."""
        return self.per_device * self.processes * self.steps_per_generation

    @property
    def prompts_per_generation(self) -> int:
        """Distinct prompts in one generation batch."""
        return self.generation_batch_size // self.num_generations


def batch_sizes(trainer: TrainerConfig, hw: HardwareConfig) -> BatchSizes:
    """The batch sizes of `trainer` on `hw`'s processes; fails in one line where TRL would at start-up.

    TRL 1.16 (GRPOConfig.__post_init__): generation_batch_size = per_device x processes x
    steps_per_generation (default: gradient_accumulation_steps), and it must hold whole prompt groups,
    i.e. be divisible by num_generations. TRL checks this only once the processes are up.
    """
    per_device = trainer.per_device_train_batch_size
    processes = hw.num_training_processes * plan_nodes(hw).training_nodes  # every node's processes
    grad_accum = trainer.gradient_accumulation_steps
    if min(per_device, grad_accum) < 1:
        raise ConfigError(
            "trainer.per_device_train_batch_size and gradient_accumulation_steps must be at least 1"
        )
    if trainer.num_generations < 2:
        raise ConfigError(
            f"trainer.num_generations={trainer.num_generations}: GRPO needs at least 2 per prompt"
        )
    generation_batch = trainer.extra.get("generation_batch_size")
    steps = trainer.steps_per_generation or trainer.extra.get("steps_per_generation")
    if generation_batch is not None and steps is not None:
        raise ConfigError("set trainer.extra.generation_batch_size or trainer.steps_per_generation, not both")
    if generation_batch is not None:
        if generation_batch % (per_device * processes):
            raise ConfigError(
                f"trainer.extra.generation_batch_size={generation_batch} is not divisible by the global batch "
                f"{per_device} per device x {processes} processes = {per_device * processes}"
            )
        steps = generation_batch // (per_device * processes)
    sizes = BatchSizes(per_device, processes, grad_accum, steps or grad_accum, trainer.num_generations)
    if sizes.generation_batch_size % sizes.num_generations:
        raise ConfigError(
            f"generation batch {per_device} per device x {processes} processes x {sizes.steps_per_generation} "
            f"steps = {sizes.generation_batch_size} is not divisible by trainer.num_generations="
            f"{trainer.num_generations}; change trainer.per_device_train_batch_size, "
            "trainer.gradient_accumulation_steps or trainer.num_generations"
        )
    return sizes
