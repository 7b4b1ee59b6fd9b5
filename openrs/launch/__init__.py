"""Process layouts: one process, accelerate + DeepSpeed with a vLLM server, one SLURM job per sweep point."""

from openrs.launch.layout import BatchSizes, ProcessLayout, batch_sizes, plan_layout
from openrs.launch.runner import is_launched_child, launch, needs_launcher

__all__ = [
    "BatchSizes",
    "ProcessLayout",
    "batch_sizes",
    "is_launched_child",
    "launch",
    "needs_launcher",
    "plan_layout",
]
