"""From typed config to TRL objects: GRPOConfig, the trainer, metrics and the run summary."""
