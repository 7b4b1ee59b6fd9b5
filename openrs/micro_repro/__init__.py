"""CPU micro reproduction of the paper's claim: GRPO with a verifiable reward raises held-out accuracy."""
