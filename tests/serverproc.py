"""A real ``taskprogress serve`` process for the HTTP tests.

It is started on ``--port 0`` (the kernel picks a free port, so parallel runs never collide), its log goes to a
file, the port is read from the "listening on" line, and readiness is polled with a deadline. ``stop()`` sends
SIGTERM (or another signal) and returns the exit code.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

_LISTENING = re.compile(r"listening on (http://[^\s/]+)/zstack/v1")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class ServerProcess:
    def __init__(
        self,
        database_url: str | None,
        log_path: Path,
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        options: bool = True,
        args: list[str] | None = None,
    ) -> None:
        """``database_url`` None: the default (a file in ``cwd``); ``options`` False: port and database are given
        through ``TASKPROGRESS_PORT`` / ``TASKPROGRESS_DATABASE_URL`` instead of command-line options; ``args``:
        more ``serve`` options."""
        self.database_url = database_url
        self.log_path = log_path
        self.extra_env = env or {}
        self.cwd = cwd
        self.options = options
        self.args = args or []
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def start(self) -> ServerProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKPROGRESS_")}
        env.update(self.extra_env)
        command = [sys.executable, "-m", "taskprogress.cli", "serve"]
        if self.options:
            command += ["--port", "0"] + (["--database-url", self.database_url] if self.database_url else [])
        else:
            env["TASKPROGRESS_PORT"] = "0"
            if self.database_url:
                env["TASKPROGRESS_DATABASE_URL"] = self.database_url
        command += self.args
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.cwd)
        deadline = time.monotonic() + START_TIMEOUT
        while not (match := _LISTENING.search(self.log())):
            self._check_alive(deadline)
            time.sleep(0.05)
        self.base_url = match.group(1)
        while not self._ready():
            self._check_alive(deadline)
            time.sleep(0.05)
        return self

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/zstack/openapi.json", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _check_alive(self, deadline: float) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"taskprogress serve exited with {self.process.returncode}:\n{self.log()}")
        if time.monotonic() > deadline:
            self.process.kill()
            raise RuntimeError(f"taskprogress serve not ready within {START_TIMEOUT} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the server and wait for it to exit; returns its exit code (killed after a deadline)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"taskprogress serve ignored signal {sig}:\n{self.log()}") from None
        return self.process.returncode
