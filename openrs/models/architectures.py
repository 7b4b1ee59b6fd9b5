"""Architectures of the Hub models openrs trains, for random-weight benchmarks without the Hub."""

# deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B's config.json: a Qwen2ForCausalLM of 1.78B parameters.
R1_DISTILL_QWEN_1P5B = dict(
    vocab_size=151936, hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
    num_attention_heads=12, num_key_value_heads=2, max_position_embeddings=131072, rms_norm_eps=1e-6,
    rope_parameters={"rope_type": "default", "rope_theta": 10000.0}, hidden_act="silu",
    tie_word_embeddings=False, use_sliding_window=False, sliding_window=4096, max_window_layers=21,
    bos_token_id=151643, eos_token_id=151643,
)  # fmt: skip
