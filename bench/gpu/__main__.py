"""`python -m bench.gpu {device-run,step-time,exp2-cost,eval-throughput} [options]`, from the repository root."""

from __future__ import annotations

import argparse

from bench.gpu import __doc__ as overview
from bench.gpu import device_run, eval_throughput, exp2_cost, step_time

SUBCOMMANDS = {
    "device-run": device_run,
    "step-time": step_time,
    "exp2-cost": exp2_cost,
    "eval-throughput": eval_throughput,
}


def main(argv: list[str] | None = None) -> None:
    """Parse the subcommand and its options, then run it."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.gpu", description=overview, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(SUBCOMMANDS) + "}")
    for name, module in SUBCOMMANDS.items():
        sub = commands.add_parser(
            name, help=module.__doc__.splitlines()[0].split(": ", 1)[1], description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # fmt: skip
        module.add_arguments(sub)
    args = parser.parse_args(argv)
    SUBCOMMANDS[args.command].run(args)


if __name__ == "__main__":
    main()
