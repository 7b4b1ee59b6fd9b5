"""What openrs imports: no heavy library to compose a run or print help, and its layers one way only.

Start-up: vLLM and DeepSpeed may not be installed, so an import of them guarded by "is it installed?"
would go unseen. Stand-ins with package metadata (TRL, transformers and accelerate then believe them
installed) make every such import happen; each process writes the top-level modules it holds at exit.
(bench/startup.py times the start-up.)
"""

from __future__ import annotations

import ast
import graphlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "trl", "datasets", "accelerate", "math_verify", "vllm", "deepspeed")
STAND_INS = {"vllm": "0.31.0", "deepspeed": "0.17.0"}
SITECUSTOMIZE = """
import atexit, importlib.abc, importlib.machinery, json, os, sys, types

class _StandIn(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return type(name, (), {})

class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in STAND_INS:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
    def create_module(self, spec):
        module = _StandIn(spec.name)
        module.__path__, module.__version__ = [], STAND_INS[spec.name.split(".")[0]]
        return module
    def exec_module(self, module):
        pass

def _write_modules():
    with open(os.environ["OPENRS_TEST_MODULES"], "w") as fh:
        json.dump(sorted({name.split(".")[0] for name in sys.modules}), fh)

sys.meta_path.insert(0, _Finder())
atexit.register(_write_modules)
"""


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory) -> Path:
    """A folder for PYTHONPATH: stand-in vllm and deepspeed distributions and the recording sitecustomize."""
    folder = tmp_path_factory.mktemp("stand_ins")
    for name, version in STAND_INS.items():
        dist = folder / f"{name}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (dist / "top_level.txt").write_text(f"{name}\n")
    (folder / "sitecustomize.py").write_text(f"STAND_INS = {STAND_INS!r}\n{SITECUSTOMIZE}")
    return folder


def modules_after(args: list[str], stand_ins: Path, tmp_path: Path) -> set[str]:
    """The top-level modules a fresh `python <args>` held at exit (it must exit 0)."""
    record = tmp_path / "modules.json"
    env = dict(os.environ, OPENRS_TEST_MODULES=str(record), HYDRA_FULL_ERROR="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(stand_ins), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return set(json.loads(record.read_text()))


def test_stand_ins_look_installed_and_are_recorded(stand_ins, tmp_path):
    """The probe works: with the stand-ins on the path, find_spec and the metadata see vllm, and an import shows."""
    code = (
        "import importlib.metadata as m, importlib.util as u; "
        "assert m.version('vllm') == '0.31.0' and u.find_spec('deepspeed'); import vllm"
    )
    assert "vllm" in modules_after(["-c", code], stand_ins, tmp_path)


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "openrs.train", "--cfg", "job"],
        ["-m", "openrs.train", "+experiment=exp2", "--cfg", "job"],
        ["-m", "openrs.train", "+experiment=micro_repro", "--cfg", "job"],
        ["-m", "openrs.evaluate", "--cfg", "job"],
        ["-m", "openrs.train", "--help"],
        ["-m", "openrs.evaluate", "--help"],
        ["-m", "openrs.report", "--help"],
        ["-m", "openrs.data.contamination", "--help"],
    ],
    ids=" ".join,
)
def test_composing_or_asking_for_help_imports_no_heavy_library(stand_ins, tmp_path, args):
    modules = modules_after(args, stand_ins, tmp_path)
    assert "openrs" in modules and "hydra" in modules
    assert not set(HEAVY) & modules


def test_importing_the_package_imports_no_heavy_library(stand_ins, tmp_path):
    code = "import openrs, openrs.config, openrs.data, openrs.rewards, openrs.launch, openrs.train"
    assert not set(HEAVY) & modules_after(["-c", code], stand_ins, tmp_path)


def openrs_imports(path: Path) -> set[str]:
    """The `openrs.<part>` modules a file imports (`from openrs import hub` counts as openrs.hub)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = (
                [f"{node.module}.{a.name}" for a in node.names] if node.module == "openrs" else [node.module]
            )
        else:
            continue
        found |= {".".join(n.split(".")[:2]) for n in names if n.split(".")[0] == "openrs"}
    return found


ENTRY_POINTS = {"micro_repro", "preflight", "train", "launch", "evaluate", "report", "score"}
COMMAND_LINE = {"cli", "cli_help", "commands"}  # the edge every entry point wraps itself in
PARTS = {p.stem for p in (REPO / "openrs").iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}


@pytest.mark.parametrize(
    "part, forbidden",
    [
        # data/ builds datasets for any experiment: generators are named by dotted path in config.
        ("data", ENTRY_POINTS | {"training", "models"}),
        # An entry point that scores with the rewards lives above them (openrs/score.py), not inside.
        ("rewards", ENTRY_POINTS | COMMAND_LINE | {"training", "data", "models"}),
        # The schemas and their checks sit under everything: what they need (e.g. a value set) lives there.
        ("config", PARTS - {"config", "errors", "__init__"}),
        ("run_dir", ENTRY_POINTS | {"training", "data", "models"}),
        # evaluation scores any run dir or model; training's preflight and launcher are not its business.
        ("evaluate", ENTRY_POINTS - {"evaluate"}),
    ],
)
def test_lower_layers_import_no_higher_one(part, forbidden):
    package = REPO / "openrs"
    bad = {
        path.relative_to(package).as_posix(): sorted(hits)
        for path in (package / part).rglob("*.py")
        if (hits := openrs_imports(path) & {f"openrs.{name}" for name in forbidden})
    }
    assert not bad, f"openrs/{part} imports: {bad}"


def test_only_the_micro_reproduction_imports_itself():
    """Its task, callback and warm-up demonstrations are reached through dotted paths in config."""
    package = REPO / "openrs"
    importers = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if "openrs.micro_repro" in openrs_imports(path) and path.parent.name != "micro_repro"
    }
    assert not importers


def _launch_modules(nodes: list[ast.stmt] | ast.Module) -> set[str]:
    """The `openrs.launch.<module>` names among the imports in `nodes` (walked all the way down)."""
    found = set()
    for node in ast.walk(nodes) if isinstance(nodes, ast.Module) else nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {name.split(".")[2] for name in found if name.startswith("openrs.launch.")}


def test_launch_modules_form_layers_imported_at_the_top():
    """openrs/launch: no circle (vllm_reload_worker -> server, layout -> files -> multinode -> runner), no import of a
    sibling put inside a function to dodge one."""
    graph = {}
    for path in sorted((REPO / "openrs" / "launch").glob("*.py")):
        tree = ast.parse(path.read_text())
        top = _launch_modules(tree.body) - {path.stem}
        inside = _launch_modules(tree) - {path.stem} - top
        assert not inside, f"{path.name} imports {sorted(inside)} inside a function"
        graph[path.stem] = top
    order = list(graphlib.TopologicalSorter(graph).static_order())  # a circle raises CycleError naming it
    assert order.index("layout") < order.index("files") < order.index("multinode") < order.index("runner")
    assert not graph["layout"] and graph["server"] <= {"vllm_reload_worker"}, graph
    assert not graph["vllm_reload_worker"] and not graph["guard"], graph  # leaves: a vLLM worker, a watchdog
