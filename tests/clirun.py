"""Run the real ``taskprogress`` console script in a subprocess, as a user would, with its own config folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "taskprogress"
TIMEOUT = 120


def command() -> list[str]:
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "taskprogress.cli"]


def environment(config_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKPROGRESS_")}
    env["TASKPROGRESS_CONFIG_DIR"] = str(config_dir)
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def run(
    config_dir: Path, *args: str, input: str | None = None, timeout: float = TIMEOUT, **env: str
) -> subprocess.CompletedProcess[str]:
    """stdout is a pipe: the plain (no escape codes) output a script or a log file gets."""
    return subprocess.run(
        [*command(), *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=environment(config_dir, **env),
        timeout=timeout,
    )


def start(config_dir: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*command(), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(config_dir, **env),
    )


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The failure is one line on stderr, never a traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines
    return lines[0]
