"""Helpers for the long job tests: a server with the test job types, and LongJob calls as a ZStack client makes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx

from serverproc import ServerProcess
from zstack import ZStack, oauth

PLUGINS = Path(__file__).parent / "plugins"  # a real *.dist-info declaring GateJob and ResumableGateJob


def server_env(data_dir: Path, *, workers: int = 2, node_timeout: float = 2.0, **more: str) -> dict[str, str]:
    """The environment of a server that loads the test job types."""
    path = os.pathsep.join(p for p in (str(PLUGINS), os.environ.get("PYTHONPATH", "")) if p)
    return {
        "PYTHONPATH": path,
        "TASKPROGRESS_DATA_DIR": str(data_dir),
        "TASKPROGRESS_LONG_JOB_WORKERS": str(workers),
        "TASKPROGRESS_NODE_TIMEOUT": str(node_timeout),
        **more,
    }


def start_server(database_url: str, tmp: Path, name: str = "serve", **env: Any) -> ServerProcess:
    return ServerProcess(database_url, tmp / f"{name}.log", env=server_env(tmp / "data", **env)).start()


def script_data(*operations: dict[str, Any]) -> str:
    return json.dumps({"script": list(operations)})


def gate_data(gate: Path) -> str:
    return json.dumps({"gate": str(gate)})


def submit(zs: ZStack, session: str, job_name: str, job_data: str, **params: Any) -> httpx.Response:
    """SubmitLongJob polled to its end; ``X_Job_UUID`` becomes the header."""
    headers = {"X-Job-UUID": params.pop("X_Job_UUID")} if "X_Job_UUID" in params else {}
    body = {"params": {"jobName": job_name, "jobData": job_data, **params}}
    return zs.call("POST", "/longjobs", session, body, **headers)


def submitted(zs: ZStack, session: str, job_name: str, job_data: str, **params: Any) -> dict[str, Any]:
    response = submit(zs, session, job_name, job_data, **params)
    assert response.status_code == 200, response.text
    return response.json()["inventory"]


def action(zs: ZStack, session: str, uuid: str, name: str, params: dict | None = None, **headers: str):
    return zs.call("PUT", f"/longjobs/{uuid}/actions", session, {name: params or {}}, **headers)


def acted(zs: ZStack, session: str, uuid: str, name: str, params: dict | None = None, **headers: str) -> dict:
    response = action(zs, session, uuid, name, params, **headers)
    assert response.status_code == 200, response.text
    return response.json()["inventory"]


def query(zs: ZStack, session: str, *q: str, **params: Any) -> dict[str, Any]:
    response = zs.http.get("/longjobs", params=[*(("q", c) for c in q), *params.items()], headers=oauth(session))
    assert response.status_code == 200, response.text
    return response.json()


def job(zs: ZStack, session: str, uuid: str) -> dict[str, Any] | None:
    response = zs.http.get(f"/longjobs/{uuid}", headers=oauth(session))
    assert response.status_code == 200, response.text
    found = response.json()["inventories"]
    return found[0] if found else None


def wait_state(zs: ZStack, session: str, uuid: str, *states: str, timeout: float = 15.0) -> dict[str, Any]:
    """Poll QueryLongJob until the job is in one of ``states``."""
    deadline = time.monotonic() + timeout
    while True:
        current = job(zs, session, uuid)
        if current is not None and current["state"] in states:
            return current
        assert time.monotonic() < deadline, f"job {uuid} not in {states} within {timeout} s: {current}"
        time.sleep(0.02)


def progress(zs: ZStack, session: str, api_id: str, *, all: bool = False) -> list[dict[str, Any]]:
    params = {"all": "true"} if all else {}
    response = zs.http.get(f"/task-progresses/{api_id}", params=params, headers=oauth(session))
    assert response.status_code == 200, response.text
    return response.json().get("inventories", [])


def error(response: httpx.Response, code: str) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    body = response.json()["error"]
    assert body["code"] == code, body
    return body
