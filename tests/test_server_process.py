"""``taskprogress serve`` as a process: start-up, the admin account, settings from the environment, clean stops."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from serverproc import ServerProcess
from test_server_rest import failed
from zstack import ZStack, new_id, oauth


def test_first_start_creates_admin_with_the_default_password_and_warns(database_url: str, tmp_path: Path):
    server = ServerProcess(database_url, tmp_path / "serve.log").start()
    try:
        with ZStack(server.base_url) as zs:
            assert zs.login("admin", "password")
        log = server.log()
        assert "created the admin account" in log
        assert "WARNING" in log and "the admin password is the default 'password'" in log
        assert f"listening on {server.base_url}/zstack/v1" in log
    finally:
        assert server.stop() == 0
    assert "taskprogress stopped" in server.log()


def test_the_admin_password_and_settings_come_from_the_environment(database_url: str, tmp_path: Path):
    env = {"TASKPROGRESS_ADMIN_PASSWORD": "s3cret", "TASKPROGRESS_HOST": "127.0.0.1"}
    server = ServerProcess(database_url, tmp_path / "serve.log", env=env, options=False).start()
    try:
        with ZStack(server.base_url) as zs:
            failed(zs.login_response("admin", "password"), "ID.1000")
            assert zs.login("admin", "s3cret")
        assert "default 'password'" not in server.log()
    finally:
        assert server.stop() == 0
    # a restart keeps the admin account as it is
    again = ServerProcess(database_url, tmp_path / "again.log").start()
    try:
        with ZStack(again.base_url) as zs:
            assert zs.login("admin", "s3cret")
        assert "created the admin account" not in again.log()
    finally:
        assert again.stop() == 0


def test_without_a_database_url_the_database_is_a_file_in_the_current_folder(tmp_path: Path):
    server = ServerProcess(None, tmp_path / "serve.log", cwd=tmp_path).start()
    try:
        with ZStack(server.base_url) as zs:
            assert zs.login()
    finally:
        assert server.stop() == 0
    assert (tmp_path / "taskprogress.db").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_server_cleanly_after_its_jobs(database_url: str, tmp_path: Path, sig: int):
    from taskprogress import Store

    server = ServerProcess(database_url, tmp_path / "serve.log").start()
    with ZStack(server.base_url) as zs:
        admin = zs.login()
        for _ in range(5):
            zs.submit("PUT", f"/accounts/sessions/{admin}/renew", admin, {}, **{"X-Job-UUID": new_id()})
    assert server.stop(sig) == 0
    assert "taskprogress stopped" in server.log() and "Traceback" not in server.log()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/zstack/v1/task-progresses/{new_id()}", headers=oauth(admin))
    with Store.open(database_url) as store, store.connect() as conn:
        states = conn.exec_driver_sql("SELECT state FROM api_job").scalars().all()
        finished = conn.exec_driver_sql("SELECT count(*) FROM progress_api WHERE finished_at IS NOT NULL").scalar()
    assert sorted(states) == ["succeeded"] * 5  # every accepted job ran to its end
    assert finished == 5  # and its progress was marked finished before the store closed


@pytest.mark.parametrize("port", ["busy", "99999"])
def test_a_port_it_cannot_listen_on_is_a_clear_error(tmp_path: Path, port: str):
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        chosen = str(taken.getsockname()[1]) if port == "busy" else port
        run = subprocess.run(
            [sys.executable, "-m", "taskprogress.cli", "serve", "--port", chosen],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    if port == "busy":
        assert f"cannot listen on 127.0.0.1:{chosen}" in run.stderr
    else:
        assert "--port" in run.stderr
