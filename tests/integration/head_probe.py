"""A callback a test adds to a run (`+callbacks.head_probe={_target_:tests.integration.head_probe.HeadProbe}`):
the policy's output head and input embedding as training begins, after a resume has loaded the checkpoint."""

from __future__ import annotations

from pathlib import Path

from transformers import TrainerCallback

HEAD_FILE = "head_at_train_begin.safetensors"


class HeadProbe(TrainerCallback):
    """Writes <run dir>/head_at_train_begin.safetensors: `lm_head`, `embed`, and `shared` (1 if one tensor)."""

    def __init__(self, run_dir: str):
        self.path = Path(run_dir) / HEAD_FILE

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        import torch
        from safetensors.torch import save_file

        head, embed = model.get_output_embeddings().weight, model.get_input_embeddings().weight
        shared = torch.tensor(int(head.data_ptr() == embed.data_ptr()))
        save_file(
            {"lm_head": head.detach().clone(), "embed": embed.detach().clone(), "shared": shared}, self.path
        )
