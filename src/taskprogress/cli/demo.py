"""``taskprogress demo``: a ScriptedJob that shows every kind of progress (steps, sub-tasks with totals, nested
stages, weighted parallel branches, ``report_until``, details), watched live.

It runs on the server logged in to (or ``--server``). When nothing answers there, it starts an embedded server
for its own duration: ``taskprogress serve --port 0`` in a subprocess, on a SQLite database in a temporary folder,
with a random admin password it logs in with itself; the server and the folder are gone when the demo ends.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from taskprogress.cli import connect, session_file
from taskprogress.cli.failure import CliError
from taskprogress.cli.progress import PlainOption, run_watch

if TYPE_CHECKING:
    from taskprogress.sdk import Client

START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
IMAGE_URL = "https://images.example.org/ttylinux-0.1.qcow2"
_LISTENING = re.compile(r"listening on (http://[^\s/]+)/zstack/v1")


def demo(
    server: connect.ServerOption = None,
    embedded: Annotated[
        bool,
        typer.Option(
            "--embedded", envvar="TASKPROGRESS_DEMO_EMBEDDED", help="always run on a server of its own, started here"
        ),
    ] = False,
    quick: Annotated[
        bool, typer.Option("--quick", envvar="TASKPROGRESS_DEMO_QUICK", help="the same script, about 5x faster")
    ] = False,
    plain: PlainOption = None,
) -> None:
    """Run a ScriptedJob showing every kind of progress and watch it (about 15 s). Without a server to use, an
    embedded one is started for the demo and stopped after it."""
    with _demo_client(server, embedded) as client:
        with connect.sdk_errors():
            job = client.submit_long_job("ScriptedJob", {"script": demo_script(0.2 if quick else 1.0)}, name="demo")
        typer.echo(f"long job {job.uuid} (ScriptedJob), apiId {job.api_id}")
        run_watch(client, job.api_id or "", plain, timeout=300, title="demo: add the image ttylinux")


def demo_script(speed: float = 1.0) -> list[dict[str, Any]]:
    """What the demo job does, as a ZStack AddImage would report it; ``speed`` scales every wait."""

    def t(seconds: float) -> float:
        return max(0.01, round(seconds * speed, 3))

    return [
        {"step": "Check the request[%s]", "args": ["ttylinux"]},
        {"sleep": t(0.6)},
        {"progress": 3, "detail": {"checked": ["name", "url", "format"]}},
        {
            "stage": [3, 40],
            "script": [
                {
                    "subtask": "Download the image[%s]",
                    "args": ["ttylinux"],
                    "totalSteps": 3,
                    "script": [
                        {"step": "Connect to %s", "args": [IMAGE_URL]},
                        {"sleep": t(0.5)},
                        {"step": "Download %s MB", "args": [300]},
                        {"stage": [0, 90], "script": [{"until": 100, "interval": t(0.12)}]},
                        {"step": "Verify the checksum[%s]", "args": ["sha256"]},
                        {"stage": [90, 100], "script": [{"until": 100, "interval": t(0.03)}]},
                        {"progress": 100, "detail": {"bytesDone": 314572800, "bytesTotal": 314572800}},
                    ],
                }
            ],
        },
        {"step": "Distribute the image to %s backup storages", "args": [2]},
        {
            "stage": [40, 90],
            "script": [
                {
                    "parallel": [2, 1],
                    "scripts": [
                        [
                            {
                                "subtask": "Copy the image to %s",
                                "args": ["backup-storage-1"],
                                "script": [{"until": 100, "interval": t(0.15)}],
                            }
                        ],
                        [
                            {
                                "subtask": "Convert the image to %s",
                                "args": ["raw"],
                                "totalSteps": 2,
                                "script": [
                                    {"step": "Inspect the image"},
                                    {"sleep": t(0.8)},
                                    {"step": "Write %s", "args": ["ttylinux.raw"]},
                                    {"until": 100, "interval": t(0.1)},
                                ],
                            }
                        ],
                    ],
                }
            ],
        },
        {"step": "Register the image[%s]", "args": ["ttylinux"]},
        {"stage": [90, 100], "script": [{"until": 100, "interval": t(0.05)}]},
        {"progress": 100, "detail": {"imageUuid": "e3b0c44298fc1c149afbf4c8996fb924"}},
    ]


@contextlib.contextmanager
def _demo_client(option: str | None, embedded: bool) -> Iterator[Client]:
    from taskprogress.sdk import Client

    if not embedded:
        url = connect.chosen_server(option)
        stored = session_file.load()
        session = stored.session if stored and connect.server_url(stored.server) == url else None
        found = _probe(url, session)
        if found == "logged in":
            with Client(url, session_id=session) as client:
                yield client
            return
        if found == "answers":
            raise CliError(
                f"a server answers at {url} but you are not logged in to it: run `taskprogress login` first, "
                "or `taskprogress demo --embedded` for a server of the demo's own"
            )
        typer.echo(f"no server answers at {url}: starting an embedded one for the demo", err=True)
    with _embedded_server() as (url, password), Client(url) as client:
        with connect.sdk_errors():
            client.login("admin", password)
        yield client


def _probe(url: str, session: str | None) -> str:
    """``logged in`` (the stored session is valid there), ``answers`` or ``unreachable``."""
    from taskprogress.sdk import Client, TaskProgressSDKError, TransportError

    try:
        with Client(url, timeout=5) as client:
            if session is not None and client.validate_session(session):
                return "logged in"
            client.validate_session("0" * 32)
    except TransportError:
        return "unreachable"
    except TaskProgressSDKError:
        pass  # something answers, if not as a taskprogress server would
    return "answers"


@contextlib.contextmanager
def _embedded_server() -> Iterator[tuple[str, str]]:
    """``taskprogress serve --port 0`` on a temporary SQLite database; yields its URL and admin password."""
    password = secrets.token_urlsafe(18)
    with tempfile.TemporaryDirectory(prefix="taskprogress-demo-") as folder:
        root = Path(folder)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKPROGRESS_")}
        env["TASKPROGRESS_ADMIN_PASSWORD"] = password
        command = [
            sys.executable,
            "-m",
            "taskprogress.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--database-url",
            f"sqlite:///{root / 'demo.db'}",
            "--data-dir",
            str(root / "data"),
        ]
        log_path = root / "serve.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
        try:
            url = _wait_listening(process, log_path)
            typer.echo(f"embedded server at {url} (stopped when the demo ends)", err=True)
            yield url, password
        finally:
            _stop(process)


def _wait_listening(process: subprocess.Popen[bytes], log_path: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        log = log_path.read_text(errors="replace")
        if match := _LISTENING.search(log):
            return match.group(1)
        if process.poll() is not None:
            tail = " | ".join(log.strip().splitlines()[-3:])
            raise CliError(f"the embedded server exited with {process.returncode}: {tail}")
        if time.monotonic() > deadline:
            raise CliError(f"the embedded server did not start within {START_TIMEOUT:.0f} s")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
