"""TRL 1.16's GRPOTrainer with two behaviours of the TRL commit the paper ran (69ad852) as options.

- `max_prompt_length`: prompt token ids are cut to their last N tokens before generation and scoring
  (69ad852 did this; TRL 1.16 has no prompt limit).
- `logprobs_at_sampling_temperature=False`: log-probabilities (policy and reference) come from the raw
  logits, as in 69ad852; TRL 1.16 divides the logits by the sampling temperature first.

And one platform option: `vllm_weight_sync="reload"` has a vLLM server on CPU take the weights from a
file (openrs.training.vllm_server_sync), where TRL's NCCL transfer cannot run.

And one metric: `kl_per_sequence`, the KL as 69ad852 logged it (and so the paper's `kl` curves): each
sequence's mean KL over its tokens, then the mean over sequences. TRL 1.16's `kl`, logged beside it, weighs
every token alike (longer completions count more), so it is not comparable with the paper's curves. The
loss is the same either way.

Everything else is TRL's. This module imports TRL: import it only once the preflight checks passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from accelerate.utils import is_peft_model
from trl import GRPOConfig, GRPOTrainer
from trl.trainer.utils import add_fused_lm_head


@dataclass
class OpenRSGRPOConfig(GRPOConfig):
    """GRPOConfig plus the options OpenRSGRPOTrainer adds."""

    max_prompt_length: int | None = field(
        default=None,
        metadata={"help": "Keep only the last this many prompt tokens (None: keep them all)."},
    )
    logprobs_at_sampling_temperature: bool = field(
        default=True,
        metadata={"help": "Divide the logits by `temperature` before the log-softmax (False: raw logits)."},
    )
    vllm_weight_sync: str = field(
        default="nccl",
        metadata={
            "help": "How server mode sends the policy to vLLM: 'nccl' (TRL's, CUDA) or 'reload' (a file the "
            "server reloads from; vLLM on CPU, openrs.training.vllm_server_sync)."
        },
    )


class OpenRSGRPOTrainer(GRPOTrainer):
    """GRPOTrainer honouring OpenRSGRPOConfig's `max_prompt_length` and `logprobs_at_sampling_temperature`."""

    def __init__(self, *args, **kwargs):
        self._keep_logps = False
        self._kept_logps: torch.Tensor | None = None
        config = kwargs.get("args")
        reload = config is not None and config.use_vllm and config.vllm_mode == "server"
        reload = reload and config.vllm_weight_sync == "reload"
        if reload:  # TRL's __init__ would open an NCCL group with the server: build the backend after it
            config.use_vllm = False
        try:
            super().__init__(*args, **kwargs)
        finally:
            if reload:
                config.use_vllm = True
        if reload:
            from openrs.training.vllm_server_sync import file_reload_generation

            self.use_vllm = True
            self.vllm_generation = file_reload_generation(self)
            self._last_loaded_step = -1  # as TRL: the first generation syncs the weights
        if not getattr(self.args, "logprobs_at_sampling_temperature", True) and self.temperature != 1.0:
            self._score_at_unit_temperature()

    def _score_at_unit_temperature(self) -> None:
        """Give the policy and reference model a fused LM head at temperature 1.

        TRL fuses the temperature into the LM head it adds in `__init__`; a second head added with TRL's
        own `add_fused_lm_head` takes over the `fused_lm_head=True` calls (the log-probabilities), while
        generation, which calls the forward without it, still passes through to the original model.
        """
        cast = self.args.cast_lm_head_to_fp32
        policy = self.model.get_base_model() if is_peft_model(self.model) else self.model
        add_fused_lm_head(
            policy, temperature=1.0, cast_lm_head_to_fp32=cast, outputs=("log_probs", "entropy")
        )
        if self.ref_model is not None:  # possibly wrapped by accelerate/DeepSpeed by now
            ref = self.accelerator.unwrap_model(self.ref_model)
            add_fused_lm_head(ref, temperature=1.0, cast_lm_head_to_fp32=cast)

    def _tokenize_prompts(self, prompts: list):
        """TRL's tokenisation, then each prompt left-truncated to `max_prompt_length` tokens."""
        prompt_ids, images, multimodal_fields = super()._tokenize_prompts(prompts)
        limit = getattr(self.args, "max_prompt_length", None)
        if limit is not None:
            prompt_ids = [ids[-limit:] for ids in prompt_ids]
        return prompt_ids, images, multimodal_fields

    def _get_per_token_logps_and_entropies(self, *args, **kwargs):
        """TRL's, keeping the policy's log-probabilities of the loss computation for `kl_per_sequence`."""
        result = super()._get_per_token_logps_and_entropies(*args, **kwargs)
        if self._keep_logps:
            self._kept_logps = result[0].detach()
        return result

    def _compute_loss(self, model, inputs):
        """TRL's loss; also logs `kl_per_sequence`, the KL as TRL 69ad852 (the paper's runs) logged it."""
        self._keep_logps, self._kept_logps = True, None
        try:
            loss = super()._compute_loss(model, inputs)
        finally:
            self._keep_logps = False
        logps, self._kept_logps = self._kept_logps, None
        if self.beta != 0.0 and logps is not None:
            mode = "train" if self.model.training else "eval"
            kl = self._kl_per_sequence(logps, inputs)
            self._metrics[mode]["kl_per_sequence"].append(
                self.accelerator.gather_for_metrics(kl).mean().item()
            )
        return loss

    def _kl_per_sequence(self, logps: torch.Tensor, inputs: dict) -> torch.Tensor:
        """This process's mean over sequences of each sequence's mean KL (the k3 estimate TRL's loss uses)."""
        mask = inputs["completion_mask"]
        if "tool_mask" in inputs:
            mask = mask * inputs["tool_mask"]
        delta = inputs["ref_per_token_logps"] - logps
        per_token_kl = torch.exp(delta) - delta - 1
        if self.args.use_bias_correction_kl:  # weighted by the importance ratio, as TRL's loss weighs it
            old = inputs.get("old_per_token_logps")
            log_ratio = logps - (logps if old is None else old)
            if self.importance_sampling_level == "sequence":
                log_ratio = ((log_ratio * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).unsqueeze(-1)
            per_token_kl = per_token_kl * torch.exp(log_ratio)
        return ((per_token_kl * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean()
