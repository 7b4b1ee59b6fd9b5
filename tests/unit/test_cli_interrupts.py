"""Ctrl-C and SIGTERM end a command in one line, exit 130 or 143, no traceback."""

from __future__ import annotations

import logging
import os
import signal

import pytest

from openrs import cli
from openrs.commands import TRAIN
from openrs.errors import Interrupted


@pytest.mark.parametrize(
    ("raise_it", "code", "line"),
    [
        (lambda: (_ for _ in ()).throw(KeyboardInterrupt()), 130, "interrupted (SIGINT)"),
        (lambda: os.kill(os.getpid(), signal.SIGTERM), 143, "interrupted (SIGTERM)"),
        (lambda: (_ for _ in ()).throw(Interrupted(signal.SIGINT, "interrupted at step 3; ...")), 130,
         "interrupted at step 3; ..."),
        (lambda: (_ for _ in ()).throw(Interrupted(signal.SIGTERM, quiet=True)), 143, None),
    ],
)  # fmt: skip
def test_an_interrupt_is_one_line_and_128_plus_the_signal(caplog, raise_it, code, line):
    with caplog.at_level(logging.INFO), pytest.raises(SystemExit) as exit_info, cli.exit_on_user_error(TRAIN):
        raise_it()  # a signal to this process is handled before os.kill returns
    assert exit_info.value.code == code
    assert [r.getMessage() for r in caplog.records] == ([line] if line else [])
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # given back


def test_a_sigterm_handler_already_there_is_left_in_charge():
    def scheduler_handler(signum, frame):
        pass

    previous = signal.signal(signal.SIGTERM, scheduler_handler)
    try:
        with cli.exit_on_user_error(TRAIN):
            assert signal.getsignal(signal.SIGTERM) is scheduler_handler
    finally:
        signal.signal(signal.SIGTERM, previous)
