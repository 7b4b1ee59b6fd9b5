"""TRL 1.16's GRPOTrainer with two behaviours of the TRL commit the paper ran (69ad852) as options.

- `max_prompt_length`: prompt token ids are cut to their last N tokens before generation and scoring
  (69ad852 did this; TRL 1.16 has no prompt limit).
- `logprobs_at_sampling_temperature=False`: log-probabilities (policy and reference) come from the raw
  logits, as in 69ad852; TRL 1.16 divides the logits by the sampling temperature first.

Everything else is TRL's. This module imports TRL: import it only once the preflight checks passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accelerate.utils import is_peft_model
from trl import GRPOConfig, GRPOTrainer
from trl.trainer.utils import add_fused_lm_head


@dataclass
class OpenRSGRPOConfig(GRPOConfig):
    """GRPOConfig plus the two options OpenRSGRPOTrainer adds."""

    max_prompt_length: int | None = field(
        default=None,
        metadata={"help": "Keep only the last this many prompt tokens (None: keep them all)."},
    )
    logprobs_at_sampling_temperature: bool = field(
        default=True,
        metadata={"help": "Divide the logits by `temperature` before the log-softmax (False: raw logits)."},
    )


class OpenRSGRPOTrainer(GRPOTrainer):
    """GRPOTrainer honouring OpenRSGRPOConfig's `max_prompt_length` and `logprobs_at_sampling_temperature`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
