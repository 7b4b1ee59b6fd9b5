"""Report a run or sweep: `python -m openrs.report <run or multirun dir> [--out DIR] [--price-per-gpu-hour P]`."""

from __future__ import annotations

import logging
import sys

from openrs import cli
from openrs.commands import REPORT
from openrs.report.cost import DEFAULT_PRICE_PER_GPU_HOUR, price_per_gpu_hour
from openrs.report.render import build_report, markdown_table, write_report

log = logging.getLogger("openrs.report")


def main(argv: list[str] | None = None) -> int:
    """Write the report files, print the run table; user errors end in one line and exit code 2."""
    parser = cli.ArgumentParser(REPORT)
    parser.add_argument("dir", help="a run dir (outputs/DATE/TIME) or a multirun dir (multirun/DATE/TIME)")
    parser.add_argument("--out", help="where to write report.md, report.csv and the plots (default: DIR)")
    parser.add_argument(
        "--price-per-gpu-hour", type=price_per_gpu_hour, default=DEFAULT_PRICE_PER_GPU_HOUR,
        help=f"dollars per GPU-hour (default {DEFAULT_PRICE_PER_GPU_HOUR:.4f}: the paper's $42 / (4 A40 × 24 h))",
    )  # fmt: skip
    args = parser.parse_args(argv)
    cli.setup_logging()
    with cli.exit_on_user_error(REPORT):  # one ERROR line, exit code 2
        report = build_report(args.dir, args.price_per_gpu_hour)
        paths = write_report(report, args.out)
    for warning in report.warnings:
        log.warning("%s", warning)
    print(markdown_table(report.table))  # noqa: T201 - the CLI's output
    log.info("wrote %s", ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
