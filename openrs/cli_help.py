"""What an openrs command says about itself: the `Command` description and the --help text built from it.

The groups and options are read from conf/ (each option's first comment sentence), so a new option
file shows up in --help the moment it exists.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import textwrap
from pathlib import Path

from openrs.config.store import CONF_DIR

# A full stop, question or exclamation mark before a space or the end, not the dot of "e.g." or "i.e.".
_SENTENCE_END = re.compile(r"(?<!e\.g)(?<!i\.e)[.!?](?=\s|$)")


@dataclasses.dataclass(frozen=True)
class Command:
    """How one openrs command describes itself in --help and names itself in its errors."""

    name: str  # the console script is `openrs-<name>`
    module: str  # `python -m <module>`
    summary: str
    config_name: str | None = None  # the primary config in conf/ (Hydra commands)
    usage: str = "[GROUP=OPTION ...] [KEY=VALUE ...]"
    groups: tuple[str, ...] = ()  # config groups (conf/<group>/) the command uses
    presets: tuple[str, ...] = ()  # groups added with `+group=option` (e.g. experiment)
    keys: str = ""  # other keys worth knowing, one line
    examples: tuple[tuple[str, str], ...] = ()  # (command line, what it does)
    # Dotted path of a function run before a Hydra task (after composing), e.g. to quiet progress bars.
    setup: str | None = None

    @property
    def script(self) -> str:
        return f"openrs-{self.name}"

    @property
    def logger(self) -> logging.Logger:
        return logging.getLogger(self.module.removesuffix(".__main__"))


def examples_text(command: Command) -> str:
    if not command.examples:
        return ""
    width = max(len(line) for line, _ in command.examples)
    return "examples:\n" + "\n".join(f"  {line:<{width}}  # {what}" for line, what in command.examples)


def option_description(path: Path) -> str:
    """The first sentence of a config file's opening comment (its description), without `# @package`."""
    words: list[str] = []
    for line in path.read_text().splitlines():
        if not line.strip().startswith("#"):
            break
        text = line.strip()[1:]
        if text.strip().startswith("@package"):
            continue
        if not text.strip() or text.startswith("   "):  # a blank comment line or an indented example
            if words:
                break
            continue
        words.append(text.strip())
    paragraph = " ".join(words)
    end = _SENTENCE_END.search(paragraph)
    return paragraph[: end.end()] if end else paragraph


def group_options(group: str, conf_dir: Path = CONF_DIR) -> dict[str, str]:
    """{option: description} for the YAML options of conf/<group>/ (no `base_*` schema entries)."""
    files = sorted((conf_dir / group).glob("*.yaml"))
    return {p.stem: option_description(p) for p in files if not p.stem.startswith("base_")}


def default_choices(config_name: str, conf_dir: Path = CONF_DIR) -> dict[str, str]:
    """{group: option} the command's config picks with no overrides (presets like default_run included)."""
    from hydra import compose, initialize_config_dir

    try:
        with initialize_config_dir(config_dir=str(conf_dir), version_base="1.3"):
            choices = compose(config_name, return_hydra_config=True).hydra.runtime.choices
    except Exception:  # a help text without default marks beats none at all
        return {}
    return {str(group): str(option) for group, option in choices.items()}


def groups_text(command: Command, width: int = 110) -> str:
    """The config groups a command uses, each option with its file's first sentence, wrapped to `width`."""
    defaults = default_choices(command.config_name) if command.config_name else {}
    lines = []
    sections = [("config groups (GROUP=OPTION, * = default)", command.groups, ""),
                ("presets (+GROUP=OPTION)", command.presets, "+")]  # fmt: skip
    for title, groups, prefix in sections:
        if not groups:
            continue
        lines += ["", f"{title}:"]
        for group in groups:
            lines.append(f"  {prefix}{group}=")
            options = group_options(group)
            name_width = max((len(o) for o in options), default=0) + 2
            for option, description in options.items():
                mark = "*" if defaults.get(group) == option else " "
                row = f"    {mark}{option:<{name_width}}{description.rstrip(':;,')}"
                indent = " " * (5 + name_width)  # continuation lines start under the description
                lines += textwrap.wrap(row, width, subsequent_indent=indent, break_on_hyphens=False)
    return "\n".join(lines).lstrip("\n")


def help_text(command: Command) -> str:
    """A Hydra command's --help: usage, summary, its config groups and options, other keys, examples."""
    lines = [f"usage: python -m {command.module} {command.usage}", f"       {command.script} {command.usage}"]
    lines += ["", command.summary, "", groups_text(command)]
    if command.keys:
        lines += ["", f"other keys: {command.keys}"]
    if command.examples:
        lines += ["", examples_text(command)]
    lines += [
        "",
        "`--cfg job` prints the composed config without running; `--hydra-help` shows Hydra's flags.",
    ]
    return "\n".join(lines)
