"""The vLLM server command against TRL's own parser, and the start / health-check / stop cycle on real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openrs.launch.server import (
    LaunchError,
    health_url,
    is_healthy,
    managed_server,
    stop_process_group,
    vllm_serve_command,
    with_free_ports,
)


def test_vllm_serve_command_parses_with_trl(compose_cfg):
    from trl.scripts.vllm_serve import make_parser

    _, cfg = compose_cfg(["+experiment=exp3", "validation.every=0"])
    command = vllm_serve_command(cfg, "/models/policy")
    assert command[0].endswith("trl") and command[1] == "vllm-serve"
    args, unknown = make_parser().parse_args_and_config(args=command[2:], return_remaining_strings=True)
    assert unknown == []
    assert args.model == "/models/policy" and args.port == 8000 and args.host == "127.0.0.1"
    assert args.gpu_memory_utilization == 0.7
    assert args.dtype == "bfloat16"
    assert args.max_model_len == 512 + 3584  # prompt + completion
    assert args.revision == "main"
    # Validating during training (the preset's default): the model's own context, for benchmark prompts.
    _, validated = compose_cfg(["+experiment=exp3"])
    assert "--max_model_len" not in vllm_serve_command(validated, "/models/policy")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_gone(pid: int) -> bool:
    """No such process, or only its zombie (an orphan's reaper may be slow in containers)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def test_server_is_started_health_checked_and_stopped(tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "health").write_text("ok")  # GET /health answers 200, as vLLM's does
    port = _free_port()
    url = f"http://127.0.0.1:{port}/health"
    command = [
        sys.executable,
        "-m",
        "http.server",
        str(port),
        "--bind",
        "127.0.0.1",
        "-d",
        str(tmp_path / "www"),
    ]
    with managed_server(command, url, tmp_path / "server.log", timeout_s=60) as proc:
        assert is_healthy(url)
        pid = proc.pid
    assert proc.returncode is not None and _pid_gone(pid)
    assert not is_healthy(url)


@pytest.mark.parametrize(
    "script, timeout_s, message",
    [
        ("import sys; print('no GPU found'); sys.exit(3)", 60, "exited with code 3"),
        ("import time; time.sleep(60)", 1.5, "did not answer"),
    ],
)
def test_server_that_never_answers_fails_and_is_stopped(tmp_path, script, timeout_s, message):
    pid_file = tmp_path / "pid"
    command = [
        sys.executable,
        "-c",
        f"import os; open({str(pid_file)!r}, 'w').write(str(os.getpid())); {script}",
    ]
    url = f"http://127.0.0.1:{_free_port()}/health"
    with pytest.raises(LaunchError) as err, managed_server(command, url, tmp_path / "server.log", timeout_s):
        pass
    assert message in str(err.value)
    if "code 3" in message:
        assert "no GPU found" in str(err.value)  # the log's last lines come with the error
    assert _pid_gone(int(pid_file.read_text()))


def test_stop_reaches_the_whole_process_group(tmp_path):
    # A parent that exits at once leaving a child behind (as vLLM's engine core can): both go.
    child_pid = tmp_path / "child"
    script = (
        "import subprocess, sys; "
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(child_pid)!r}, 'w').write(str(p.pid))"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    proc.wait(timeout=60)
    pid = int(child_pid.read_text())
    assert not _pid_gone(pid)
    stop_process_group(proc, grace_s=5)
    for _ in range(50):
        if _pid_gone(pid):
            break
        time.sleep(0.1)
    assert _pid_gone(pid)


@pytest.mark.parametrize("group_port", [None, 51300])
def test_port_zero_picks_free_ports_for_the_server_and_weight_sync(compose_cfg, group_port):
    overrides = ["+experiment=exp2", "hardware=slurm_4gpu"]
    if group_port:
        overrides.append(f"+trainer.extra.vllm_group_port={group_port}")
    _, cfg = compose_cfg(overrides)
    assert cfg.hardware.vllm_server_port == 0
    chosen = with_free_ports(cfg)
    port = chosen.hardware.vllm_server_port
    assert port > 0 and f":{port}/health" in health_url(chosen)
    assert chosen.trainer.extra["vllm_group_port"] == (group_port or chosen.trainer.extra["vllm_group_port"])
    assert chosen.trainer.extra["vllm_group_port"] not in (0, port)
    assert vllm_serve_command(chosen, "m")[vllm_serve_command(chosen, "m").index("--port") + 1] == str(port)
    _, fixed = compose_cfg(["+experiment=exp2", "hardware=local_4gpu"])
    assert with_free_ports(fixed) is fixed  # an explicit port stays


# A server that answers /health but ignores SIGTERM, as a vLLM server hung in its shutdown does.
STUBBORN_SERVER = """
import http.server, os, signal, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(sys.argv[2], "w").write(str(os.getpid()))
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Health).serve_forever()
"""
# openrs's side: start the server under managed_server, say so, then wait to be killed.
LAUNCHER = """
import pathlib, sys, time
from openrs.launch.server import managed_server
command, url, log = sys.argv[1:-2], sys.argv[-2], pathlib.Path(sys.argv[-1])
with managed_server(command, url, log, 60):
    print("up", flush=True)
    time.sleep(600)
"""


def test_a_server_ignoring_sigterm_is_killed_when_openrs_is_killed(tmp_path):
    """kill -9 of openrs: the server gets SIGTERM from the kernel, and SIGKILL when it does not exit."""
    pid_file, port = tmp_path / "pid", _free_port()
    url = f"http://127.0.0.1:{port}/health"
    server = [sys.executable, "-c", STUBBORN_SERVER, str(port), str(pid_file)]
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, *server, url, str(tmp_path / "server.log")],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "OPENRS_GUARD_GRACE_S": "5"},
    )  # fmt: skip
    assert launcher.stdout.readline().strip() == "up"
    pid = int(pid_file.read_text())
    launcher.kill()
    launcher.wait()
    time.sleep(0.5)
    assert not _pid_gone(pid), "SIGTERM alone stopped it: this server should ignore SIGTERM"
    deadline = time.monotonic() + 30
    while not _pid_gone(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _pid_gone(pid), "the server outlived a kill -9 of openrs"
    assert not is_healthy(url)
