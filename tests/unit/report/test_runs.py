"""Finding and loading run dirs, including half-written ones."""

from __future__ import annotations

import json

import pytest

from openrs.errors import ConfigError
from openrs.report.runs import find_run_dirs, load_run, load_runs, parse_overrides, read_metrics_table

CPU = {"hardware": {"device": "cpu", "num_gpus": 0}}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["trainer.max_steps=2"], {"trainer.max_steps": "2"}),
        (["+experiment=exp2", "++seed=3"], {"experiment": "exp2", "seed": "3"}),
        (["~callbacks.foo"], {"callbacks.foo": "deleted"}),
        (["reward.funcs.a.weight=a=b"], {"reward.funcs.a.weight": "a=b"}),
    ],
)
def test_parse_overrides(overrides, expected):
    assert parse_overrides(overrides) == expected


def test_metrics_table_skips_a_truncated_last_line_and_keeps_the_resumed_step(tmp_path):
    path = tmp_path / "metrics.jsonl"
    lines = [{"step": 1, "reward": 0.1}, {"step": 2, "reward": 0.2}, {"step": 2, "reward": 0.25}]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines) + '{"step": 3, "rew')
    table, problems = read_metrics_table(path)
    assert problems == [f"{path}:4: malformed line (half-written?); skipped"]
    assert table.index.tolist() == [1, 2]
    assert table.loc[2, "reward"] == 0.25


def test_find_run_dirs_sorts_jobs_numerically_and_skips_run_subfolders(tmp_path, write_run):
    for job in (10, 2, 0):
        write_run(tmp_path / "sweep" / str(job), config=CPU)
    # config.yaml files inside a run (wandb, checkpoints) and Hydra's own folders are not runs
    (tmp_path / "sweep" / "0" / "wandb" / "offline-run-x" / "files").mkdir(parents=True)
    (tmp_path / "sweep" / "0" / "wandb" / "offline-run-x" / "files" / "config.yaml").write_text("a: 1\n")
    (tmp_path / "sweep" / ".submitit").mkdir()
    (tmp_path / "sweep" / ".submitit" / "summary.json").write_text("{}")
    found = find_run_dirs(tmp_path / "sweep")
    assert [p.name for p in found] == ["0", "2", "10"]


@pytest.mark.parametrize(
    ("files", "warning"),
    [
        ({"config": None, "summary": {"wall_time_s": 1}}, "no config.yaml"),
        ({"config": CPU, "summary": None}, "no summary.json"),
    ],
)
def test_load_run_warns_about_each_missing_file(tmp_path, write_run, step_rows, files, warning):
    run = load_run(write_run(tmp_path / "run", metrics=step_rows([0.0, 1.0]), **files))
    assert len(run.metrics) == 2
    assert any(warning in w for w in run.warnings), run.warnings


@pytest.mark.parametrize(
    ("config", "gpus"),
    [
        ({"hardware": {"device": "cuda", "num_gpus": 4}}, 4),
        ({"hardware": {"device": "cpu", "num_gpus": 4}}, 0),
        (None, None),
    ],
)
def test_num_gpus_counts_cpu_runs_as_zero_and_unknown_as_none(tmp_path, write_run, config, gpus):
    assert load_run(write_run(tmp_path / "run", config=config)).num_gpus == gpus


def test_load_runs_fails_in_one_line_without_runs_or_steps(tmp_path, write_run):
    with pytest.raises(ConfigError, match="no runs under"):
        load_runs(tmp_path)
    write_run(tmp_path / "0", config=CPU)
    with pytest.raises(ConfigError, match="has logged a training step"):
        load_runs(tmp_path)
    with pytest.raises(ConfigError, match="not a directory"):
        load_runs(tmp_path / "missing")


@pytest.mark.parametrize(
    ("line", "warning"),
    [
        ({"step": 2, "reward": "abc"}, "metrics.jsonl:2: 'reward' is 'abc', not a number; row skipped"),
        ({"step": "2", "reward": 0.5}, "metrics.jsonl:2: 'step' is '2', not a step number; row skipped"),
        ({"reward": 0.5}, "metrics.jsonl:2: 'step' is None, not a step number; row skipped"),
        ({"step": 2, "reward": [1]}, "metrics.jsonl:2: 'reward' is [1], not a number; row skipped"),
        ("[1, 2]", "metrics.jsonl:2: malformed line (half-written?); skipped"),
    ],
)
def test_a_row_with_bad_values_is_skipped_naming_file_and_line(tmp_path, write_run, step_rows, line, warning):
    run_dir = write_run(
        tmp_path / "run", metrics=step_rows([0.1, 0.2, 0.3]), config=CPU, summary={"global_step": 3}
    )
    lines = run_dir.joinpath("metrics.jsonl").read_text().splitlines()
    lines[1] = line if isinstance(line, str) else json.dumps(line)
    run_dir.joinpath("metrics.jsonl").write_text("\n".join(lines) + "\n")
    run = load_run(run_dir)
    assert run.metrics.index.tolist() == [1, 3] and run.metrics["reward"].tolist() == [0.1, 0.3]
    assert run.warnings == [f"{run_dir}/{warning}"]


def test_bad_summary_values_are_ignored_and_the_report_still_written(tmp_path, write_run, step_rows):
    from openrs.report.render import build_report, write_report

    good = write_run(tmp_path / "sweep" / "0", metrics=step_rows([0.1, 0.2]), config=CPU)
    bad = write_run(
        tmp_path / "sweep" / "1",
        metrics=step_rows([0.3, 0.4]),
        config={"hardware": {"device": "cuda", "num_gpus": "four"}},
        summary={"wall_time_s": "long", "global_step": 2},
    )
    with bad.joinpath("metrics.jsonl").open("a") as fh:
        fh.write('{"step": 3, "reward": "NaN?"}\n')
    report = build_report(tmp_path / "sweep", 0.5)
    assert f"run 1: {bad}/summary.json: 'wall_time_s' is 'long', not a number; ignored" in report.warnings
    assert f"run 1: {bad}/metrics.jsonl:3: 'reward' is 'NaN?', not a number; row skipped" in report.warnings
    rows = report.table.set_index("run")
    assert rows.loc["1", "steps"] == 2 and rows.loc["1", "final_reward"] == 0.4
    assert rows.loc["1", "wall_time_s"] == 4.0  # from the step times, the summary's being unusable
    assert rows.loc["0", "final_reward"] == 0.2 and good.name == "0"
    paths = write_report(report, tmp_path / "out")
    assert (tmp_path / "out" / "report.md").exists() and len(paths) >= 2
