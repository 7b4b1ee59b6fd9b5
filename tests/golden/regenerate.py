"""Record the original answer checks' verdicts on openrs's cases: the golden files in tests/golden/.

    python tests/golden/regenerate.py --venvs /work/refenvs   # builds the two reference venvs if missing

Two reference environments run the originals, never openrs (see tests/golden/README.md):
- open_rs: open-rs 2889c47's `src/open_r1/rewards.py` (its `accuracy_reward`, and `get_cosine_scaled_reward`
  as exp3 set it) on math-verify 0.5.2, latex2sympy2_extended 1.0.6, antlr4 4.13.2, sympy 1.13.1;
- lighteval: lighteval ed08481's `extract_target_from_pred` and `compare_gold_target`, set up as open-rs's
  `evaluate.py` set up `multilingual_extractive_match_metric` (latex2sympy2_extended 1.0.6, sympy 1.13.1).
The cases are made here from the packaged training and benchmark files: the answer forms a DeepSeek-R1-Distill
model writes, right and wrong, after a short R1-style thought. This file runs with the standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import random
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent
OPEN_RS_COMMIT = "2889c474949be4b3b778117a9026c919e517db0a"
LIGHTEVAL_COMMIT = "ed084813e0bd12d82a06d9f913291fdbee774905"
OPEN_RS_REWARDS_URL = (
    f"https://raw.githubusercontent.com/knoveleng/open-rs/{OPEN_RS_COMMIT}/src/open_r1/rewards.py"
)
REFERENCE_PINS = {
    "open_rs": [
        "math-verify==0.5.2",
        "latex2sympy2_extended==1.0.6",
        "antlr4-python3-runtime==4.13.2",
        "sympy==1.13.1",
    ],
    # lighteval[math] at ed08481 pinned latex2sympy2_extended==1.0.6; only what its metric modules import.
    "lighteval": [
        "latex2sympy2_extended==1.0.6",
        "antlr4-python3-runtime==4.13.2",
        "sympy==1.13.1",
        "numpy<2",
        "huggingface_hub<0.30",
        "datasets<3.4",
        "aenum==3.1.15",
        "pycountry",
        "pytablewriter",
        "termcolor==2.3.0",
        "colorlog",
        "rich",
    ],
}
# exp3's cosine reward (open-rs README): wrong 0.0 to -0.5, correct 0.5 to 1.0, 3584 characters.
COSINE_PARAMS = dict(min_value_wrong=0.0, max_value_wrong=-0.5, min_value_correct=0.5, max_value_correct=1.0)
COSINE_MAX_LEN = 3584
# open-rs evaluate.py: the gold's column and extraction per benchmark.
GOLD_SOURCES = {
    "aime24": ("answer", "expr"),
    "math500": ("solution", "latex"),
    "amc23": ("answer", "expr"),
    "minerva": ("solution", "latex"),
    "olympiadbench": ("answer", "latex"),
}
TRAIN_FILE = ROOT / "openrs/data/train/deepscaler_subset_aime_math.jsonl"
BENCHMARK_DIR = ROOT / "openrs/data/benchmarks"


# ----------------------------------------------------------------------------------------------- cases
def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _number(text: str) -> Fraction | None:
    text = text.strip().strip("$").replace(",", "")
    match = re.fullmatch(r"(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}", text)
    if match:
        value = Fraction(int(match[2]), int(match[3]))
        return -value if match[1] else value
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def _decimal(value: Fraction, digits: int) -> str:
    return f"{float(value):.{digits}f}".rstrip("0").rstrip(".") if value.denominator != 1 else str(value)


def _wrong(answer: str, rng: random.Random) -> str:
    digits = [i for i, c in enumerate(answer) if c.isdigit()]
    if not digits:
        return answer + "+1"
    i = rng.choice(digits)
    return answer[:i] + str((int(answer[i]) + rng.randint(1, 8)) % 10) + answer[i + 1 :]


def answer_forms(answer: str, rng: random.Random) -> list[tuple[str, str]]:
    """(form name, the completion's closing text) for one gold answer: right and wrong forms an R1 model writes."""
    a = answer.strip().strip("$").strip()
    value = _number(a)
    forms = [
        ("boxed", f"\\boxed{{{a}}}"),
        ("dollar_boxed", f"The final answer is $\\boxed{{{a}}}$."),
        ("display_boxed", f"**Final Answer**\n\\[\n\\boxed{{{a}}}\n\\]"),
        ("final_answer_is", f"The final answer is ${a}$. I hope it is correct."),
        ("answer_colon", f"**Answer:** {a}"),
        ("unit_text", f"\\boxed{{{a} \\text{{ cm}}}}"),
        ("unit_bare", f"\\boxed{{{a} {rng.choice(['cm', 'miles', 'meters', 'm', 'degrees', 'dollars'])}}}"),
        ("unit_mathrm", f"\\boxed{{{a}\\ \\mathrm{{m}}}}"),
        ("percent", f"\\boxed{{{a}\\%}}"),
        ("percent_plain", f"\\boxed{{{a}%}}"),
        ("pm", f"\\boxed{{\\pm {a}}}"),
        ("equation", f"\\boxed{{x = {a}}}"),
        ("text_box", f"\\boxed{{\\text{{{a}}}}}"),
        ("degree", f"\\boxed{{{a}^\\circ}}"),
        ("wrong", f"\\boxed{{{_wrong(a, rng)}}}"),
        (
            "two_boxes",
            f"First I guessed \\boxed{{{_wrong(a, rng)}}}, but rechecking, the answer is \\boxed{{{a}}}",
        ),
        ("box_or_box", f"\\boxed{{{a}}} or \\boxed{{{_wrong(a, rng)}}}"),
        ("unboxed_sentence", f"So the answer is {a}."),
        ("spaced", "\\boxed{ " + a.replace(",", ", ") + " }"),
        ("dfrac", f"\\boxed{{{a.replace(chr(92) + 'frac', chr(92) + 'dfrac')}}}"),
        ("left_right", f"\\boxed{{\\left({a}\\right)}}"),
    ]
    if value is not None:
        forms += [
            ("decimal5", f"\\boxed{{{_decimal(value, 5)}}}"),
            ("decimal2", f"\\boxed{{{_decimal(value, 2)}}}"),
            ("decimal_pm", f"\\boxed{{{_decimal(value, 6)}}}"),
            ("sci", f"\\boxed{{{float(value):.3e}}}"),
            ("times_ten", f"\\boxed{{{float(value) / 10:g} \\times 10}}"),
            ("hundredth_percent", f"\\boxed{{{_decimal(value * 100, 4)}\\%}}"),
            ("percent_as_decimal", f"\\boxed{{{_decimal(value / 100, 6)}}}"),
        ]
        if value.denominator == 1 and abs(value) >= 1000:
            forms.append(("thousands", f"\\boxed{{{int(value):,}}}"))
        if value.denominator == 1 and 0 <= value < 100:
            forms.append(("leading_zero", f"\\boxed{{{int(value):03d}}}"))
        if value.denominator != 1:
            forms.append(("slash", f"\\boxed{{{value.numerator}/{value.denominator}}}"))
            forms.append(("frac_compact", f"\\boxed{{\\frac{value.numerator}{value.denominator}}}"))
    if "%" in a:
        bare = a.replace("\\%", "").replace("%", "").strip()
        forms.append(("percent_dropped", f"\\boxed{{{bare}}}"))
        bare_value = _number(bare)
        if bare_value is not None:
            forms.append(("percent_decimal", f"\\boxed{{{_decimal(bare_value / 100, 6)}}}"))
    return forms


def _thought(problem: str, solution: str, rng: random.Random) -> str:
    numbers = re.findall(r"\d+", problem)[:4] or ["2", "3"]
    x, y = rng.choice(numbers), rng.choice(numbers)
    lines = [
        "Okay, so I need to solve this problem. Let me read it again carefully.",
        f"We have {x} and {y} here. Hmm, let me compute: ${x} + {y} = {int(x) + int(y)}$.",
        "Wait, that doesn't seem right. Let me double-check my reasoning.",
    ]
    if solution and rng.random() < 0.5:
        lines.append(solution[: rng.randint(80, 400)])
    return "\n\n".join(lines)


def completion(problem: str, solution: str, tail: str, rng: random.Random, truncated: bool = False) -> str:
    """An R1-Distill-style completion: `<think>` is in the prompt, the thought, `</think>`, the answer."""
    thought = _thought(problem, solution, rng)
    if truncated:
        return thought + "\n\nSo the total is " + str(rng.randint(2, 99)) + ", and then"
    summary = rng.choice(["", "To solve the problem, we compute step by step.\n\n", "**Solution**\n\n"])
    return f"{thought}\n</think>\n\n{summary}{tail}"


def _sample_forms(answer: str, rng: random.Random, k: int) -> list[tuple[str, str]]:
    forms = answer_forms(answer, rng)
    core = [f for f in forms if f[0] in ("boxed", "wrong")]
    rest = [f for f in forms if f[0] not in ("boxed", "wrong")]
    return core + rng.sample(rest, min(k, len(rest)))


def training_cases(rows_per_kind: int = 260, forms_per_row: int = 8) -> list[dict]:
    """Cases for the training checker: (solution, completion), from the training subset's rows."""
    rng = random.Random(24)
    rows = [r for r in _read(TRAIN_FILE) if r.get("solution")]  # the open_rs check reads `solution`
    chosen = [r for r in rows if "%" in r["answer"]] + rng.sample(rows, rows_per_kind)
    cases = []
    for row in chosen:
        for form, tail in _sample_forms(row["answer"], rng, forms_per_row):
            cases.append(
                {
                    "row": row["id"],
                    "form": form,
                    "solution": row["solution"],
                    "completion": completion(row["problem"], row["solution"], tail, rng),
                }
            )
        cases.append(
            {
                "row": row["id"],
                "form": "truncated",
                "solution": row["solution"],
                "completion": completion(row["problem"], row["solution"], "", rng, truncated=True),
            }
        )
    return cases


def evaluation_cases(per_benchmark: int = 110, forms_per_row: int = 5) -> list[dict]:
    """Cases for the evaluation checker: (benchmark, gold text, completion), from the benchmark files."""
    rng = random.Random(25)
    cases = []
    for bench, (column, extraction) in GOLD_SOURCES.items():
        rows = _read(BENCHMARK_DIR / f"{bench}.jsonl")
        for row in rng.sample(rows, min(per_benchmark, len(rows))):
            gold = row[column]
            for form, tail in _sample_forms(row["answer"], rng, forms_per_row):
                cases.append(
                    {
                        "row": row["id"],
                        "benchmark": bench,
                        "extraction": extraction,
                        "form": form,
                        "gold": gold,
                        "completion": completion(row["problem"], row.get("solution") or "", tail, rng),
                    }
                )
            cases.append(
                {
                    "row": row["id"],
                    "benchmark": bench,
                    "extraction": extraction,
                    "form": "truncated",
                    "gold": gold,
                    "completion": completion(row["problem"], "", "", rng, truncated=True),
                }
            )
    return cases


# ------------------------------------------------------------------------------- the originals (reference venvs)
def _run_open_rs(cases: list[dict], rewards_py: str) -> Iterator[dict]:
    """open-rs 2889c47's reward functions, loaded from its rewards.py (its `.utils` import stubbed)."""
    import types

    utils = types.ModuleType("open_r1.utils")
    utils.is_e2b_available = lambda: False
    package = types.ModuleType("open_r1")
    package.__path__ = []
    sys.modules.update({"open_r1": package, "open_r1.utils": utils})
    module = types.ModuleType("open_r1.rewards")
    module.__package__ = "open_r1"
    exec(compile(Path(rewards_py).read_text(), rewards_py, "exec"), module.__dict__)
    cosine = module.get_cosine_scaled_reward(**COSINE_PARAMS, max_len=COSINE_MAX_LEN)
    for case in cases:
        batch = [[{"role": "assistant", "content": case["completion"]}]]
        with contextlib.redirect_stdout(io.StringIO()):  # the original prints on unparseable golds
            accuracy = module.accuracy_reward(batch, [case["solution"]])[0]
            cosine_value = cosine(batch, [case["solution"]])[0]
        yield {"accuracy": accuracy, "cosine": cosine_value}


def _run_lighteval(cases: list[dict]) -> Iterator[dict]:
    """lighteval ed08481's extractive_match as open-rs evaluate.py configured it, one sample per case."""
    import importlib.util
    import types

    # lighteval.metrics' __init__ imports every metric (torch, nltk, ...); its extraction modules need none.
    location = importlib.util.find_spec("lighteval").submodule_search_locations[0]
    metrics = types.ModuleType("lighteval.metrics")
    metrics.__path__ = [location + "/metrics"]
    sys.modules["lighteval.metrics"] = metrics
    from lighteval.metrics.utils.extractive_match_utils import (
        ExprExtractionConfig,
        LatexExtractionConfig,
        extract_target_from_pred,
        get_extraction_regexes,
    )
    from lighteval.metrics.utils.math_comparison import compare_gold_target
    from lighteval.tasks.requests import Doc
    from lighteval.utils.language import Language

    gold_targets = {"latex": (LatexExtractionConfig(),), "expr": (ExprExtractionConfig(),)}
    pred_targets = (ExprExtractionConfig(), LatexExtractionConfig(boxed_match_priority=0))
    for case in cases:
        doc = Doc(query="", choices=[case["gold"]], gold_index=0, task_name=case["benchmark"])
        gold_res = get_extraction_regexes(doc, gold_targets[case["extraction"]], Language.ENGLISH)
        pred_res = get_extraction_regexes(doc, pred_targets, Language.ENGLISH)
        # dynamic_metrics.multilingual_extractive_match_metric's sample_level_fn, one gold and one prediction:
        pred = extract_target_from_pred(case["completion"], pred_res, "first_match", "any_match", 5)
        gold = extract_target_from_pred(case["gold"], gold_res, "first_match", "any_match", 5)
        gold_extracted = bool(gold)
        if not gold:
            gold = [case["gold"]]
        score = 1.0 if compare_gold_target(gold, pred, 5, timeout_seconds=5) else 0.0
        yield {"score": score, "gold_extracted": gold_extracted}


def _versions() -> dict[str, str]:
    from importlib.metadata import distributions

    return {d.metadata["Name"]: d.version for d in distributions()}


def reference_main(role: str, rewards_py: str | None) -> None:
    """Run in a reference venv: cases as JSON lines on stdin, the original's outputs on stdout."""
    import logging

    logging.disable(logging.WARNING)  # lighteval warns on every gold it cannot extract
    cases = [json.loads(line) for line in sys.stdin]
    results = _run_open_rs(cases, rewards_py) if role == "open_rs" else _run_lighteval(cases)
    out = sys.stdout
    out.write(json.dumps({"versions": _versions()}) + "\n")
    for result in results:
        out.write(json.dumps(result) + "\n")


# ------------------------------------------------------------------------------------------------- driver
def build_venv(venvs: Path, role: str, lighteval_src: str | None) -> Path:
    """The reference venv for `role` under `venvs`, created with its pins if missing; its python."""
    venv = venvs / f"{role}_ref"
    python = venv / "bin" / "python"
    if python.exists():
        return python
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *REFERENCE_PINS[role]], check=True)
    if role == "lighteval":
        source = lighteval_src or f"git+https://github.com/huggingface/lighteval.git@{LIGHTEVAL_COMMIT}"
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", source], check=True)
    return python


def _call_reference(python: Path, role: str, cases: list[dict], rewards_py: str | None) -> tuple[dict, list]:
    command = [str(python), __file__, "--role", role] + (["--rewards-py", rewards_py] if rewards_py else [])
    stdin = "".join(json.dumps(c) + "\n" for c in cases)
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=True)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return lines[0]["versions"], lines[1:]


def _write(path: Path, header: dict, rows: list[dict]) -> None:
    with gzip.GzipFile(path, "wb", mtime=0) as raw, io.TextIOWrapper(raw, encoding="utf-8") as out:
        out.write(json.dumps({"header": header}) + "\n")
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", choices=["open_rs", "lighteval"], help="(internal) run one original")
    parser.add_argument("--rewards-py", help="open-rs 2889c47's src/open_r1/rewards.py (default: downloaded)")
    parser.add_argument(
        "--venvs", type=Path, default=Path("/work/refenvs"), help="where the reference venvs live"
    )
    parser.add_argument(
        "--lighteval-src", help="a local lighteval checkout at ed08481 (default: from GitHub)"
    )
    args = parser.parse_args()
    if args.role:
        reference_main(args.role, args.rewards_py)
        return
    rewards_py = args.rewards_py
    if rewards_py is None:
        rewards_py = str(args.venvs / "open_rs_rewards_2889c47.py")
        if not Path(rewards_py).exists():
            urllib.request.urlretrieve(OPEN_RS_REWARDS_URL, rewards_py)
    command = "python tests/golden/regenerate.py --venvs " + str(args.venvs)
    for role, cases, name in (
        ("open_rs", training_cases(), "open_rs_2889c47.jsonl.gz"),
        ("lighteval", evaluation_cases(), "lighteval_ed08481.jsonl.gz"),
    ):
        python = build_venv(args.venvs, role, args.lighteval_src)
        versions, results = _call_reference(python, role, cases, rewards_py if role == "open_rs" else None)
        commit = OPEN_RS_COMMIT if role == "open_rs" else LIGHTEVAL_COMMIT
        pins = {
            k: versions.get(k)
            for k in ("math-verify", "latex2sympy2_extended", "antlr4-python3-runtime", "sympy", "lighteval")
            if k in versions
        }
        header = {"original": role, "commit": commit, "versions": pins, "regenerate": command}
        _write(GOLDEN / name, header, [{**c, **r} for c, r in zip(cases, results, strict=True)])
        print(f"{name}: {len(cases)} cases, versions {pins}")  # noqa: T201 - a script's output


if __name__ == "__main__":
    main()
