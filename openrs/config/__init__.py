"""Config schemas, their registration in Hydra's ConfigStore, and conversion to typed objects."""

from openrs.config.schema import (
    DatasetConfig,
    HardwareConfig,
    ModelConfig,
    OptimizerConfig,
    RewardConfig,
    RunConfig,
    TinyModelConfig,
    TrainConfig,
    TrainerConfig,
)

__all__ = [
    "DatasetConfig",
    "HardwareConfig",
    "ModelConfig",
    "OptimizerConfig",
    "RewardConfig",
    "RunConfig",
    "TinyModelConfig",
    "TrainConfig",
    "TrainerConfig",
]
