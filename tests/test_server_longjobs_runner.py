"""The job runner across restarts and nodes (SQLite and PostgreSQL): what happens to jobs when a server stops
(SIGTERM) or dies (SIGKILL), cancel through another node sharing the database, takeover of a dead node's jobs,
and plugins that fail the start-up.

Two processes on one SQLite file are two nodes too, so every test runs on both backends.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from longjobs import acted, gate_data, job, start_server, submitted, wait_state
from serverproc import ServerProcess
from zstack import ZStack

NODE = re.compile(r"management node ([0-9a-f]{32}) runs")


class Cluster:
    """Servers started by a test on one database, all stopped at its end."""

    def __init__(self, database_url: str, tmp: Path) -> None:
        self.database_url = database_url
        self.tmp = tmp
        self.processes: list[ServerProcess] = []
        self.clients: list[ZStack] = []

    def start(self, name: str, **env) -> tuple[ServerProcess, ZStack, str]:
        process = start_server(self.database_url, self.tmp, name, **env)
        self.processes.append(process)
        client = ZStack(process.base_url)
        self.clients.append(client)
        match = NODE.search(process.log())
        assert match, process.log()
        return process, client, match.group(1)

    def stop_all(self) -> None:
        for client in self.clients:
            client.close()
        for process in self.processes:
            process.stop(signal.SIGKILL)


@pytest.fixture
def cluster(database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    nodes = Cluster(database_url, tmp_path)
    try:
        yield nodes
    finally:
        nodes.stop_all()


def wait_node(zs: ZStack, session: str, uuid: str, node: str, timeout: float = 15.0) -> dict:
    """Until the job is Running on ``node``."""
    deadline = time.monotonic() + timeout
    while (current := job(zs, session, uuid))["managementNodeUuid"] != node or current["state"] != "Running":
        assert time.monotonic() < deadline, f"job not taken over by {node}: {current}"
        time.sleep(0.05)
    return current


def test_sigterm_releases_resumable_jobs_fails_the_others_and_a_restart_resumes(cluster: Cluster, tmp_path: Path):
    first, zs, first_node = cluster.start("first", workers=2)
    assert "plugins: GateJob, ResumableGateJob" in first.log()  # loaded from the *.dist-info entry points
    admin = zs.admin()
    gates = {name: tmp_path / name for name in ("resumable", "plain", "queued")}
    resumable = submitted(zs, admin, "ResumableGateJob", gate_data(gates["resumable"]))
    plain = submitted(zs, admin, "GateJob", gate_data(gates["plain"]))
    queued = submitted(zs, admin, "GateJob", gate_data(gates["queued"]))
    assert [j["state"] for j in (resumable, plain, queued)] == ["Running", "Running", "Waiting"]
    assert first.stop(signal.SIGTERM) == 0 and "Traceback" not in first.log()

    _second, zs, second_node = cluster.start("second", workers=2)
    admin = zs.admin()
    failed = wait_state(zs, admin, plain["uuid"], "Failed")
    assert "management node is stopping and the job type GateJob cannot resume" in failed["jobResult"]
    assert wait_node(zs, admin, resumable["uuid"], second_node)["apiId"] == resumable["apiId"]
    assert wait_node(zs, admin, queued["uuid"], second_node)["state"] == "Running"
    for gate in gates.values():
        gate.write_text("ok")
    assert json.loads(wait_state(zs, admin, resumable["uuid"], "Succeeded")["jobResult"]) == {"resumed": True}
    assert json.loads(wait_state(zs, admin, queued["uuid"], "Succeeded")["jobResult"]) == {"resumed": False}
    assert first_node != second_node


def test_after_sigkill_a_restarted_server_takes_the_jobs_over_once_the_node_times_out(cluster: Cluster, tmp_path: Path):
    first, zs, first_node = cluster.start("first", node_timeout=2)
    admin = zs.admin()
    resumable = submitted(zs, admin, "ResumableGateJob", gate_data(tmp_path / "resumable"))
    plain = submitted(zs, admin, "GateJob", gate_data(tmp_path / "plain"))
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL

    _second, zs, second_node = cluster.start("second", node_timeout=2)
    admin = zs.admin()
    failed = wait_state(zs, admin, plain["uuid"], "Failed")
    assert f"the management node {first_node} running the job stopped" in failed["jobResult"]
    wait_node(zs, admin, resumable["uuid"], second_node)
    (tmp_path / "resumable").write_text("ok")
    assert json.loads(wait_state(zs, admin, resumable["uuid"], "Succeeded")["jobResult"]) == {"resumed": True}


def test_a_cancel_through_another_node_stops_the_job_within_a_second(cluster: Cluster, tmp_path: Path):
    _a, zs_a, node_a = cluster.start("a")
    _b, zs_b, _node_b = cluster.start("b")
    inventory = submitted(zs_a, zs_a.admin(), "GateJob", gate_data(tmp_path / "gate"))
    assert inventory["managementNodeUuid"] == node_a
    started = time.monotonic()
    canceled = acted(zs_b, zs_b.admin(), inventory["uuid"], "cancelLongJob")
    assert canceled["state"] == "Canceled" and time.monotonic() - started < 1.0


def test_a_living_node_takes_over_the_jobs_of_a_dead_one(cluster: Cluster, tmp_path: Path):
    a, zs_a, _node_a = cluster.start("a", node_timeout=2)
    _b, zs_b, node_b = cluster.start("b", node_timeout=2)
    inventory = submitted(zs_a, zs_a.admin(), "ResumableGateJob", gate_data(tmp_path / "gate"))
    a.stop(signal.SIGKILL)
    admin = zs_b.admin()
    wait_node(zs_b, admin, inventory["uuid"], node_b)
    (tmp_path / "gate").write_text("ok")
    done = wait_state(zs_b, admin, inventory["uuid"], "Succeeded")
    assert json.loads(done["jobResult"]) == {"resumed": True} and done["managementNodeUuid"] == node_b


def test_a_broken_plugin_stops_the_start_with_its_name(database_url: str, tmp_path: Path):
    plugins = tmp_path / "plugins"
    info = plugins / "broken_jobs-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-jobs\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[taskprogress.jobs]\nBrokenJob = no_such_module_here:run\n")
    process = ServerProcess(database_url, tmp_path / "serve.log", env={"PYTHONPATH": str(plugins)})
    with pytest.raises(RuntimeError, match="exited with 1"):
        process.start()
    assert "entry point BrokenJob = no_such_module_here:run cannot be loaded" in process.log()
    assert "Traceback" not in process.log()
