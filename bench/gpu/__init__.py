"""GPU benchmarks on DeepSeek-R1-Distill-Qwen-1.5B's architecture with random weights: `python -m bench.gpu`.

Subcommands (run from the repository root, on a CUDA GPU with `pip install -e ".[gpu]"`):
- `step-time`: `python -m openrs.train` step time and peak memory, `hardware=single_gpu` (`--cpu-smoke` anywhere);
- `exp2-cost`: exp2's generation tokens/s and training time per sequence, projected to GPU-hours and $
  (`--dry-run` anywhere, from given timings);
- `eval-throughput`: generated tokens/s of the evaluation's vLLM backend (`--help` anywhere).
"""
