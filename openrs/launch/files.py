"""The accelerate config and DeepSpeed JSON a launched run uses, generated from the openrs config, and the
`accelerate launch` command that runs on them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from openrs.config.schema import TrainConfig
from openrs.launch.layout import BatchSizes, ProcessLayout
from openrs.run_dir import RunDir

ACCELERATE_FILE = "accelerate.yaml"
DEEPSPEED_FILE = "deepspeed.json"
CHILD_CONFIG_NAME = "config"  # the resolved config the launched processes compose from


def deepspeed_config(cfg: TrainConfig, stage: int, sizes: BatchSizes) -> dict[str, Any]:
    """A DeepSpeed ZeRO-2/3 config whose batch sizes, clipping and precision equal the GRPOConfig's.

    Transformers' DeepSpeed integration checks each of these against the TrainingArguments and stops
    at start-up on any mismatch; openrs writes the numbers it computed instead of "auto" so that the
    file says what ran.
    """
    zero: dict[str, Any] = {"stage": stage, "overlap_comm": True, "contiguous_gradients": True}
    if stage == 2:
        zero.update(allgather_partitions=True, reduce_scatter=True)
    else:  # ZeRO-3: save whole 16-bit weights so that checkpoints load without DeepSpeed
        zero.update(stage3_gather_16bit_weights_on_model_save=True)
    return {
        "train_batch_size": sizes.train_batch_size,
        "train_micro_batch_size_per_gpu": sizes.per_device,
        "gradient_accumulation_steps": sizes.grad_accum,
        "gradient_clipping": cfg.optimizer.max_grad_norm,
        "bf16": {"enabled": cfg.hardware.bf16},
        "fp16": {"enabled": False},
        "zero_optimization": zero,
        "zero_allow_untested_optimizer": True,  # the optimizer is Transformers' (optimizer.name)
    }


def accelerate_config(cfg: TrainConfig, layout: ProcessLayout, deepspeed_file: Path | None) -> dict[str, Any]:
    """`accelerate launch --config_file` settings: the processes, their GPUs, DeepSpeed or DDP."""
    hw = cfg.hardware
    config: dict[str, Any] = {
        "compute_environment": "LOCAL_MACHINE",
        # Several machines: each node's launcher adds its --machine_rank and the main process address.
        "num_machines": layout.num_machines,
        "machine_rank": 0,
        "num_processes": layout.world_size,
        "main_process_port": hw.main_process_port,  # 0: accelerate picks a free port
        "rdzv_backend": "static",
        "same_network": True,
        "use_cpu": False,  # on CPU too: `use_cpu` would start one process; each process picks gloo itself
    }
    if deepspeed_file is not None:
        # Precision comes from the JSON; accelerate refuses `mixed_precision` next to a config file.
        config["distributed_type"] = "DEEPSPEED"
        config["deepspeed_config"] = {
            "deepspeed_config_file": str(deepspeed_file),
            "zero3_init_flag": layout.deepspeed_stage == 3,
            "deepspeed_multinode_launcher": "standard",
        }
    else:
        config["distributed_type"] = "MULTI_GPU" if layout.world_size > 1 else "NO"
        config["mixed_precision"] = "bf16" if hw.bf16 else "no"
    if layout.training_gpus:
        config["gpu_ids"] = ",".join(layout.training_gpus)
    return config


def write_launch_files(
    cfg: TrainConfig,
    layout: ProcessLayout,
    sizes: BatchSizes,
    run_dir: str | Path,
    launch_dir: Path | None = None,
) -> Path:
    """Write `<run_dir>/launch/` (or `launch_dir`) `{accelerate.yaml, deepspeed.json, config.yaml}`; returns it."""
    import yaml
    from omegaconf import OmegaConf

    launch_dir = launch_dir or RunDir(Path(run_dir).resolve()).launch
    launch_dir.mkdir(parents=True, exist_ok=True)
    deepspeed_file = None
    if layout.deepspeed_stage is not None:
        deepspeed_file = launch_dir / DEEPSPEED_FILE
        deepspeed_file.write_text(
            json.dumps(deepspeed_config(cfg, layout.deepspeed_stage, sizes), indent=2) + "\n"
        )
    accelerate = accelerate_config(cfg, layout, deepspeed_file)
    (launch_dir / ACCELERATE_FILE).write_text(yaml.safe_dump(accelerate, sort_keys=False))
    # The processes compose from their own copy: each rewrites <run_dir>/config.yaml as it starts.
    (launch_dir / f"{CHILD_CONFIG_NAME}.yaml").write_text(OmegaConf.to_yaml(OmegaConf.structured(cfg)))
    return launch_dir


def training_command(launch_dir: Path, run_dir: Path) -> list[str]:
    """`accelerate launch` (openrs.launch.accelerate_main: a failure in one line) of `python -m openrs.train` on the
    run's saved config, into the same run dir."""
    return [
        sys.executable, "-m", "openrs.launch.accelerate_main",
        "--config_file", str(launch_dir / ACCELERATE_FILE),
        "-m", "openrs.train",
        "--config-path", str(launch_dir), "--config-name", CHILD_CONFIG_NAME,
        f"hydra.run.dir='{run_dir}'",
        "hydra.output_subdir=null",  # keep the .hydra/ of the user's command, not the relaunch's
    ]  # fmt: skip
