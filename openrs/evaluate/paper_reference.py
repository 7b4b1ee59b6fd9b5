"""The paper's own scores per checkpoint (Open RS's lighteval logs), shipped as `paper_reference.json`.

Open RS's repository keeps lighteval's result files: `logs/evals/ExpN_STEP/` (AIME24, MATH-500 and
AMC23 for Exp1 steps 100-500 and Exp2/Exp3 steps 50-400) and `logs/overall/ExpN_STEP/` (all five
benchmarks at the checkpoints of Table 2: Exp1 step 100, Exp2 step 50, Exp3 step 50). The JSON file
holds those figures with the file each came from; `python -m openrs.evaluate.paper_reference GIT_DIR`
rebuilds it from a clone of knoveleng/open-rs.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from pathlib import Path

from openrs.errors import ConfigError
from openrs.run_dir import RunDir

REFERENCE_FILE = Path(__file__).with_name("paper_reference.json")
REPO = "knoveleng/open-rs"
COMMIT = "2889c474949be4b3b778117a9026c919e517db0a"
LOG_DIRS = ("logs/evals", "logs/overall")
# lighteval's task names in those files -> ours.
TASKS = {"aime24": "aime24", "math_500": "math500", "amc23": "amc23", "minerva": "minerva", "olympiadbench": "olympiadbench"}  # fmt: skip
MODELS = {"exp1": "Open-RS1", "exp2": "Open-RS2", "exp3": "Open-RS3"}
# Benchmarks logged at every checkpoint (Minerva and OlympiadBench only at the Table 2 ones).
PER_STEP_BENCHMARKS = ("aime24", "math500", "amc23")
_RUN = re.compile(r"Exp(\d)_(\d+)")


def _git(git_dir: str, *args: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True, text=True
    ).stdout


def extract_reference(git_dir: str, commit: str = COMMIT) -> dict:
    """Every extractive_match score in the repo's lighteval logs at `commit`, by experiment and step."""
    experiments: dict[str, dict] = {}
    benchmarks: dict[str, dict] = {}
    for path in sorted(_git(git_dir, "ls-tree", "-r", "--name-only", commit, *LOG_DIRS).split()):
        match = _RUN.search(path)
        if not match or not path.endswith(".json"):
            continue
        experiment, step = f"exp{match.group(1)}", match.group(2)
        document = json.loads(_git(git_dir, "show", f"{commit}:{path}"))
        results = document["results"]
        for task, config in document.get("config_tasks", {}).items():
            summary = document["summary_tasks"][f"{task}|0"]
            benchmarks[TASKS[config["name"]]] = {
                "hf_repo": config["hf_repo"],
                "split": config["evaluation_splits"][0],
                "num_docs": config["original_num_docs"],
                # xxh64 over the sorted xxh64s of every prompt (the query template filled with the problem).
                "hash_examples": summary["hashes"]["hash_examples"],
            }
        entry = experiments.setdefault(experiment, {"model": MODELS[experiment], "steps": {}})
        for task, scores in results.items():
            if task == "all":
                continue
            bench = TASKS[task.split("|")[1]]
            value = {
                "pass@1": round(100 * scores["extractive_match"], 2),
                "stderr": round(100 * scores["extractive_match_stderr"], 2),
                "file": path,
            }
            before = entry["steps"].setdefault(step, {}).get(bench)
            if before is not None and before["pass@1"] != value["pass@1"]:
                raise ValueError(
                    f"{path} disagrees with {before['file']} on {bench} at {experiment} step {step}"
                )
            if before is None or path.startswith("logs/overall"):  # the Table 2 files win ties
                entry["steps"][step][bench] = value
    for entry in experiments.values():
        entry["steps"] = {s: entry["steps"][s] for s in sorted(entry["steps"], key=int)}
    return {
        "source": {"repo": REPO, "commit": commit, "paths": list(LOG_DIRS)},
        "metric": "lighteval extractive_match (one sample per problem at temperature 0.6), in percent",
        "table2_steps": {"exp1": 100, "exp2": 50, "exp3": 50},
        "benchmarks": {b: benchmarks[b] for b in TASKS.values()},
        "experiments": experiments,
    }


@functools.cache
def load_reference() -> dict:
    """The shipped reference figures (see the module docstring)."""
    return json.loads(REFERENCE_FILE.read_text())


def reference_curve(experiment: str, benchmark: str) -> list[tuple[int, float]]:
    """(step, pass@1 %) of one benchmark over the experiment's checkpoints that logged it."""
    steps = load_reference()["experiments"][experiment]["steps"]
    return [(int(step), scores[benchmark]["pass@1"]) for step, scores in steps.items() if benchmark in scores]


def average_curve(
    experiment: str, benchmarks: tuple[str, ...] = PER_STEP_BENCHMARKS
) -> list[tuple[int, float]]:
    """(step, mean pass@1 %) over `benchmarks` at the checkpoints that logged all of them."""
    steps = load_reference()["experiments"][experiment]["steps"]
    return [
        (int(step), sum(scores[b]["pass@1"] for b in benchmarks) / len(benchmarks))
        for step, scores in steps.items()
        if all(b in scores for b in benchmarks)
    ]


def table2_step(experiment: str) -> int:
    """The checkpoint the paper's Table 2 row for `experiment` comes from."""
    return load_reference()["table2_steps"][experiment]


def experiment_of(model_path: str) -> str | None:
    """exp1/exp2/exp3 when `model_path` is Open-RSn or (a checkpoint of) a training run of one (its config.yaml)."""
    for experiment, model in MODELS.items():  # the released models, e.g. knoveleng/Open-RS3
        if model_path.rstrip("/").lower().endswith(model.lower()):
            return experiment
    path = Path(model_path)
    for run_dir in (path, path.parent.parent):  # a run dir, or run_dir/checkpoints/checkpoint-N
        config = RunDir(run_dir).config
        if config.is_file():
            from omegaconf import OmegaConf

            try:
                name = OmegaConf.load(config).get("experiment_name")
            except Exception:  # an unreadable config only loses the match with the paper's curves
                return None
            return name if name in MODELS else None
    return None


def reference_experiments(choice: str, model_path: str) -> list[str]:
    """The experiments whose curves to draw: `choice` (auto/none/expN) resolved for `model_path`."""
    if choice == "none":
        return []
    if choice in MODELS:
        return [choice]
    if choice != "auto":
        raise ConfigError(f"paper_reference: unknown '{choice}'; choose from auto, none, {', '.join(MODELS)}")
    matched = experiment_of(model_path)
    return [matched] if matched else list(MODELS)


# One colour per benchmark in every accuracy plot, so a run's curve and the paper's pair up.
BENCHMARK_COLORS = {"aime24": "C0", "math500": "C1", "amc23": "C2", "minerva": "C3", "olympiadbench": "C4"}
EXPERIMENT_COLORS = {"exp1": "C5", "exp2": "C6", "exp3": "C9"}


def draw_reference(ax, experiments: list[str], benchmarks: list[str], titles: dict[str, str]) -> None:
    """The paper's pass@1 against step on `ax`: one experiment per benchmark, several by their averages."""
    average_label = "average (" + ", ".join(titles[b] for b in PER_STEP_BENCHMARKS) + ")"
    for experiment in experiments:
        if len(experiments) == 1:
            for bench in benchmarks:
                xs, ys = zip(*reference_curve(experiment, bench), strict=True)
                color, label = BENCHMARK_COLORS[bench], titles[bench]
                ax.plot(
                    xs, ys, "-" if len(xs) > 1 else "", marker="s", markersize=4, color=color, label=label
                )
            color, label = "black", average_label
        else:
            color, label = (
                EXPERIMENT_COLORS[experiment],
                f"{MODELS[experiment]} ({experiment}): {average_label}",
            )
        xs, ys = zip(*average_curve(experiment), strict=True)
        ax.plot(xs, ys, "-", marker="s", color=color, linewidth=2.2, label=label)
    table2: dict[int, list[str]] = {}
    for experiment in experiments:
        table2.setdefault(table2_step(experiment), []).append(MODELS[experiment])
    for step, models in table2.items():
        ax.axvline(step, color="grey", linestyle=":")
        ax.annotate(
            f"Table 2: {', '.join(models)} (step {step})", (step, 2), rotation=90, fontsize="x-small",
            color="dimgrey", ha="right", va="bottom",
        )  # fmt: skip
    one = MODELS[experiments[0]] if len(experiments) == 1 else "Open-RS1/2/3"
    ax.set_title(f"The paper ({one}): lighteval pass@1 per checkpoint", fontsize="medium")
    ax.set_xlabel("training step (the paper's runs)")
    ax.set_xlim(left=0)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="x-small", loc="lower right")


def main(argv: list[str]) -> int:
    """Rebuild paper_reference.json from a clone (git dir) of knoveleng/open-rs."""
    if len(argv) != 1:
        sys.stderr.write("usage: python -m openrs.evaluate.paper_reference OPEN_RS_GIT_DIR\n")
        return 2
    REFERENCE_FILE.write_text(json.dumps(extract_reference(argv[0]), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
