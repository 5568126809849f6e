"""The LongJob API over a real server (SQLite and PostgreSQL): submit, query, the actions, their refusals, tenancy.

The server loads the test job types (``tests/plugins``) through a real ``*.dist-info``; ``GateJob`` runs until
the test writes its gate file, so no test guesses how long a job takes.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from longjobs import (
    acted,
    action,
    error,
    gate_data,
    job,
    progress,
    query,
    script_data,
    start_server,
    submit,
    submitted,
    wait_state,
)
from serverproc import ServerProcess
from zstack import ZStack, new_id, oauth

DATE = re.compile(r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M")


@pytest.fixture(scope="module")
def server(server_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Overrides conftest's: the same real server, plus the test job types and two long job workers."""
    process = start_server(server_database_url, tmp_path_factory.mktemp("longjobs"))
    try:
        yield process
    finally:
        assert process.stop() == 0, process.log()
        assert "Traceback" not in process.log(), process.log()


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[Path]:
    """A gate file for GateJobs; opened at the end of the test, so no job outlives it and holds a worker."""
    path = tmp_path / "gate"
    yield path
    if not path.exists():
        path.write_text("ok")


def test_submit_answers_the_running_job_with_zstack_fields_and_its_api_id_is_the_call_id(zs: ZStack, gate: Path):
    admin = zs.admin()
    call_id = new_id()
    inventory = submitted(
        zs, admin, "GateJob", gate_data(gate), X_Job_UUID=call_id, name="n1", description="d1",
        targetResourceUuid="r" * 32,
    )  # fmt: skip
    assert inventory["apiId"] == call_id and inventory["state"] == "Running"
    assert inventory["jobName"] == "GateJob" and json.loads(inventory["jobData"]) == {"gate": str(gate)}
    assert (inventory["name"], inventory["description"], inventory["targetResourceUuid"]) == ("n1", "d1", "r" * 32)
    assert len(inventory["uuid"]) == 32 and len(inventory["managementNodeUuid"]) == 32
    assert DATE.fullmatch(inventory["createDate"]) and DATE.fullmatch(inventory["lastOpDate"])
    assert "jobResult" not in inventory and "executeTime" not in inventory  # null: left out, as Gson does
    gate.write_text("ok")
    done = wait_state(zs, admin, inventory["uuid"], "Succeeded")
    assert json.loads(done["jobResult"]) == {"resumed": False} and done["executeTime"] >= 1
    schema = zs.http.get(f"/longjobs/{done['uuid']}", headers={**oauth(admin), "X-JSON-Schema": "1"}).json()["schema"]
    assert schema == {"inventories[0]": "org.zstack.header.longjob.LongJobInventory"}


def test_the_submit_reply_has_the_schema_when_asked(zs: ZStack):
    admin = zs.admin()
    body = {"params": {"jobName": "ScriptedJob", "jobData": script_data({"progress": 5})}}
    reply = zs.call("POST", "/longjobs", admin, body, **{"X-JSON-Schema": "yes"}).json()
    assert reply["schema"] == {"inventory": "org.zstack.header.longjob.LongJobInventory"}


def test_scenario_18_agent_reports_under_the_api_id_then_the_final_100(zs: ZStack, server, gate: Path):
    admin = zs.admin()
    api_id = new_id()
    inventory = submitted(zs, admin, "GateJob", gate_data(gate), X_Job_UUID=api_id)
    assert inventory["apiId"] == api_id and inventory["state"] == "Running"
    agent = zs.http.base_url.copy_with(path="/zstack/asyncrest/sendcommand")
    for percent in ("20", "40", "60", "80", "100"):
        body = {"threadContextMap": {"api": api_id, "task-name": "T"}, "threadContextStack": [], "progress": percent}
        posted = zs.http.post(str(agent), json=body, headers={"commandpath": "/progress/report"})
        assert posted.status_code == 200, posted.text
        newest = progress(zs, admin, api_id)
        assert [(p["type"], p["content"], "parentUuid" in p) for p in newest] == [("Progress", percent, False)]
    gate.write_text("ok")
    wait_state(zs, admin, inventory["uuid"], "Succeeded")
    roots = progress(zs, admin, api_id, all=True)
    # GateJob's own 10, the five agent reports, and the framework's final 100.
    assert [r["content"] for r in roots] == ["10", "20", "40", "60", "80", "100", "100"]
    assert all("subTasks" not in r for r in roots)


def test_a_scripted_job_reports_its_tree_under_the_api_id_and_ends_with_100(zs: ZStack):
    admin = zs.admin()
    script = script_data(
        {"step": "prepare %s", "args": ["disk"]},
        {"subtask": "copy[%s]", "args": ["a"], "script": [{"progress": 50, "detail": {"bytes": 5}}]},
        {"sleep": 0.3},
    )
    inventory = submitted(zs, admin, "ScriptedJob", script)
    done = wait_state(zs, admin, inventory["uuid"], "Succeeded")
    assert json.loads(done["jobResult"]) == {"operations": 4}
    tree = progress(zs, admin, inventory["apiId"], all=True)
    assert [(n["type"], n["content"]) for n in tree] == [
        ("Task", "prepare %s"),
        ("Task", "copy[%s]"),
        ("Progress", "100"),
    ]
    assert [(n["content"], n["opaque"]) for n in tree[1]["subTasks"]] == [("50", {"bytes": 5})]
    assert tree[0]["taskName"] == "class taskprogress.jobs.scripted.run_script"


def test_scenario_19_progress_expires_only_after_the_job_ends(zs: ZStack, gate: Path):
    admin = zs.admin()
    zs.set_config("progress", "deleteDelay", 1)
    zs.set_config("progress", "cleanupThreadInterval", 1)
    inventory = submitted(zs, admin, "GateJob", gate_data(gate))
    api_id = inventory["apiId"]
    # The submit call has long returned and cleanup runs every second: the running job's progress stays.
    watched_until = time.monotonic() + 3.5
    while time.monotonic() < watched_until:
        assert progress(zs, admin, api_id), "a running long job's progress was deleted"
        time.sleep(0.1)
    gate.write_text("ok")
    wait_state(zs, admin, inventory["uuid"], "Succeeded")
    deadline = time.monotonic() + 10
    while progress(zs, admin, api_id) or progress(zs, admin, api_id, all=True):
        assert time.monotonic() < deadline, "progress still there 10 s after the job ended"
        time.sleep(0.1)


@pytest.fixture
def image_server(tmp_path: Path) -> Iterator[str]:
    """A local HTTP server: ``/image.raw`` is 3 MB at full speed, ``/slow.qcow2`` trickles a byte every 50 ms."""
    image = tmp_path / "image.raw"
    image.write_bytes(bytes(range(256)) * (3 << 12))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            slow = self.path == "/slow.qcow2"
            body = image.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(10 << 20 if slow else len(body)))
            self.end_headers()
            try:
                if not slow:
                    self.wfile.write(body)
                    return
                while True:  # a download that would take days
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass  # the job hung up

        def log_message(self, *_args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("kind", ["ScriptedJob", "APIAddImageMsg"])
def test_cancel_stops_a_built_in_job_within_a_second(zs: ZStack, kind: str, image_server: str):
    admin = zs.admin()
    if kind == "ScriptedJob":
        data = script_data({"progress": 1}, {"sleep": 600})
    else:
        data = json.dumps({"name": "slow", "url": f"{image_server}/slow.qcow2"})
    inventory = submitted(zs, admin, kind, data)
    assert inventory["state"] == "Running"
    started = time.monotonic()
    canceled = acted(zs, admin, inventory["uuid"], "cancelLongJob")
    assert canceled["state"] == "Canceled" and time.monotonic() - started < 1.0
    assert canceled["executeTime"] >= 1 and "cancel" in canceled["jobResult"]


def test_add_image_downloads_into_the_data_dir_with_byte_progress(zs: ZStack, image_server: str, server):
    admin = zs.admin()
    data = json.dumps({"name": "tiny", "url": f"{image_server}/image.raw", "format": "raw"})
    inventory = submitted(zs, admin, "APIAddImageMsg", data)
    done = wait_state(zs, admin, inventory["uuid"], "Succeeded")
    result = json.loads(done["jobResult"])
    expected = hashlib.sha256(bytes(range(256)) * (3 << 12)).hexdigest()
    assert result["sha256"] == expected and result["size"] == 3 << 20 and result["name"] == "tiny"
    path = Path(result["path"])
    assert path.parent.name == "APIAddImageMsg" and path.read_bytes() == bytes(range(256)) * (3 << 12)
    tree = progress(zs, admin, inventory["apiId"], all=True)
    download = next(n for n in tree if n["content"] == "Download the image[%s]")
    reports = [n for n in download.get("subTasks", []) if n["type"] == "Progress"]
    assert reports and reports[-1]["opaque"]["bytesDone"] == 3 << 20
    assert tree[-1]["content"] == "100"


def test_only_an_admin_may_add_an_image_from_a_file_url(zs: ZStack, tmp_path: Path):
    image = tmp_path / "local.raw"
    image.write_bytes(b"\0" * 4096)
    data = json.dumps({"name": "local", "url": image.as_uri()})
    account = zs.create_account()
    user = zs.login(account["name"], "secret")
    refused = error(submit(zs, user, "APIAddImageMsg", data), "ID.1002")
    assert "file://" in refused["details"]
    assert query(zs, user)["inventories"] == []  # nothing was created
    done = wait_state(zs, zs.admin(), submitted(zs, zs.admin(), "APIAddImageMsg", data)["uuid"], "Succeeded")
    assert json.loads(done["jobResult"])["size"] == 4096


def test_scenario_20_every_illegal_operation_is_a_clear_error_and_changes_nothing(zs: ZStack, gate: Path):
    admin = zs.admin()
    succeeded = submitted(zs, admin, "ScriptedJob", script_data({"progress": 1}))
    failed = submitted(zs, admin, "ScriptedJob", script_data({"fail": "boom"}))
    running = submitted(zs, admin, "GateJob", gate_data(gate))
    succeeded = wait_state(zs, admin, succeeded["uuid"], "Succeeded")
    failed = wait_state(zs, admin, failed["uuid"], "Failed")
    assert failed["jobResult"] == "boom"
    before = {j["uuid"]: j for j in (succeeded, failed, job(zs, admin, running["uuid"]))}
    checks = [
        (action(zs, admin, succeeded["uuid"], "cancelLongJob"), "SYS.1007", "cannot cancel longjob that is succeeded"),
        (action(zs, admin, failed["uuid"], "cancelLongJob"), "SYS.1007", "cannot cancel longjob that is failed"),
        (zs.call("DELETE", f"/longjobs/{running['uuid']}", admin), "SYS.1007", "delete longjob only when"),
        (action(zs, admin, running["uuid"], "rerunLongJob"), "SYS.1007", "only a Succeeded, Failed or Canceled"),
        (action(zs, admin, running["uuid"], "resumeLongJob"), "SYS.1007", "only a Suspended long job can be resumed"),
        (action(zs, admin, succeeded["uuid"], "suspendLongJob"), "SYS.1007", "Succeeded cannot be suspended"),
        (action(zs, admin, running["uuid"], "suspendLongJob"), "LONG_JOB.1003", "cannot be suspended"),
        (action(zs, admin, new_id(), "cancelLongJob"), "SYS.1003", "is not found"),
        (submit(zs, admin, "NoSuchApiMessage", "{}"), "SYS.1007", "NoSuchApiMessage is not an API"),
        (submit(zs, admin, "ScriptedJob", "{not json"), "SYS.1007", "jobData is not valid JSON"),
        (submit(zs, admin, "ScriptedJob", "[1]"), "SYS.1007", "jobData must be a JSON object"),
        (submit(zs, admin, "ScriptedJob", json.dumps({"script": [{"nope": 1}]})), "SYS.1007", "script[0]"),
        (submit(zs, admin, "ScriptedJob", script_data(), name="x" * 256), "SYS.1007", "name must be at most 255"),
        (submit(zs, admin, "ScriptedJob", script_data(), name=5), "SYS.1007", "name must be a string"),
        (submit(zs, admin, "ScriptedJob", 7), "SYS.1007", "jobData must be a JSON string"),
        (submit(zs, admin, "ScriptedJob", script_data(), X_Job_UUID="A" * 32), "SYS.1007", "lower-case hex"),
        (action(zs, admin, failed["uuid"], "updateLongJob", {"name": ["x"]}), "SYS.1007", "name must be a string"),
    ]
    for response, code, details in checks:
        assert details in error(response, code)["details"], response.text
    missing = zs.call("POST", "/longjobs", admin, {"params": {"jobData": "{}"}})
    assert "field[jobName]" in error(missing, "SYS.1007")["details"]
    assert zs.call("DELETE", f"/longjobs/{new_id()}", admin).status_code == 200  # a missing uuid: success
    for uuid, earlier in before.items():
        assert job(zs, admin, uuid) == earlier  # a refused request changes nothing
    no_action = zs.http.put(f"/longjobs/{running['uuid']}/actions", json={"stop": {}}, headers=oauth(admin))
    assert no_action.status_code == 400 and "doesn't contain action mapping" in no_action.text
    assert acted(zs, admin, running["uuid"], "cancelLongJob")["state"] == "Canceled"
    assert acted(zs, admin, running["uuid"], "cancelLongJob")["state"] == "Canceled"  # again: a no-op success


def test_scenario_21_rerun_keeps_the_uuid_and_starts_a_new_progress_stream(zs: ZStack, gate: Path):
    admin = zs.admin()
    first = submitted(zs, admin, "GateJob", gate_data(gate))
    gate.write_text("fail")
    failed = wait_state(zs, admin, first["uuid"], "Failed")
    gate.unlink()
    rerun_id = new_id()
    rerun = acted(zs, admin, first["uuid"], "rerunLongJob", **{"X-Job-UUID": rerun_id})
    assert rerun["uuid"] == first["uuid"] and rerun["state"] == "Running" and rerun["apiId"] == rerun_id
    assert "jobResult" not in rerun and "executeTime" not in rerun
    assert [p["content"] for p in progress(zs, admin, rerun_id)] == ["10"]
    assert progress(zs, admin, first["apiId"])  # the first run's stream is still there, separate
    gate.write_text("ok")
    done = wait_state(zs, admin, first["uuid"], "Succeeded")
    assert [p["content"] for p in progress(zs, admin, rerun_id, all=True)] == ["10", "100"]
    assert failed["apiId"] == first["apiId"] != done["apiId"] == rerun_id


def test_suspend_and_resume_keep_the_progress_stream(zs: ZStack, gate: Path):
    admin = zs.admin()
    inventory = submitted(zs, admin, "ResumableGateJob", gate_data(gate))
    suspended = acted(zs, admin, inventory["uuid"], "suspendLongJob")
    assert suspended["state"] == "Suspended"
    assert acted(zs, admin, inventory["uuid"], "suspendLongJob")["state"] == "Suspended"  # again: a no-op
    resumed = acted(zs, admin, inventory["uuid"], "resumeLongJob")
    assert resumed["state"] == "Running" and resumed["apiId"] == inventory["apiId"]
    gate.write_text("ok")
    done = wait_state(zs, admin, inventory["uuid"], "Succeeded")
    assert json.loads(done["jobResult"]) == {"resumed": True}
    assert [p["content"] for p in progress(zs, admin, inventory["apiId"], all=True)] == ["10", "10", "100"]


def test_a_suspended_job_can_be_canceled(zs: ZStack, gate: Path):
    admin = zs.admin()
    inventory = submitted(zs, admin, "ResumableGateJob", gate_data(gate))
    acted(zs, admin, inventory["uuid"], "suspendLongJob")
    assert acted(zs, admin, inventory["uuid"], "cancelLongJob")["state"] == "Canceled"


def test_update_changes_name_and_description_only(zs: ZStack, gate: Path):
    admin = zs.admin()
    inventory = submitted(zs, admin, "GateJob", gate_data(gate), name="before", description="old")
    updated = acted(zs, admin, inventory["uuid"], "updateLongJob", {"name": "after"})
    assert (updated["name"], updated["description"], updated["state"]) == ("after", "old", "Running")
    updated = acted(zs, admin, inventory["uuid"], "updateLongJob", {"description": "new"})
    assert (updated["name"], updated["description"]) == ("after", "new")


def test_delete_removes_a_final_job_and_leaves_its_progress(zs: ZStack):
    admin = zs.admin()
    inventory = submitted(zs, admin, "ScriptedJob", script_data({"progress": 30}))
    wait_state(zs, admin, inventory["uuid"], "Succeeded")
    assert zs.call("DELETE", f"/longjobs/{inventory['uuid']}", admin).status_code == 200
    assert job(zs, admin, inventory["uuid"]) is None
    assert [p["content"] for p in progress(zs, admin, inventory["apiId"], all=True)] == ["30", "100"]


def test_an_account_sees_and_touches_only_its_own_jobs(zs: ZStack, gate: Path):
    admin = zs.admin()
    alice, bob = zs.create_account(), zs.create_account()
    a, b = zs.login(alice["name"], "secret"), zs.login(bob["name"], "secret")
    mine = submitted(zs, a, "GateJob", gate_data(gate), name="alice's")
    assert [j["uuid"] for j in query(zs, a)["inventories"]] == [mine["uuid"]]
    assert query(zs, b)["inventories"] == [] and job(zs, b, mine["uuid"]) is None
    assert mine["uuid"] in [j["uuid"] for j in query(zs, admin)["inventories"]]
    error(action(zs, b, mine["uuid"], "cancelLongJob"), "SYS.1003")
    error(action(zs, b, mine["uuid"], "updateLongJob", {"name": "bob's"}), "SYS.1003")
    assert zs.call("DELETE", f"/longjobs/{mine['uuid']}", b).status_code == 200  # looks unknown: nothing to do
    assert job(zs, a, mine["uuid"])["name"] == "alice's" and job(zs, a, mine["uuid"])["state"] == "Running"
    assert acted(zs, admin, mine["uuid"], "cancelLongJob")["state"] == "Canceled"  # an admin may


def test_query_long_jobs_with_zstack_query_syntax(zs: ZStack):
    user = zs.login(zs.create_account()["name"], "secret")
    names = ["q-alpha", "q-beta", "q-gamma"]
    jobs = [submitted(zs, user, "ScriptedJob", script_data({"progress": i}), name=n) for i, n in enumerate(names)]
    for j in jobs:
        wait_state(zs, user, j["uuid"], "Succeeded")
    assert [j["name"] for j in query(zs, user, "name~=q-%a", sort="-name")["inventories"]] == [
        "q-gamma",
        "q-beta",
        "q-alpha",
    ]
    assert [j["name"] for j in query(zs, user, "name?=q-beta,q-gamma", sort="name")["inventories"]] == [
        "q-beta",
        "q-gamma",
    ]
    assert [j["name"] for j in query(zs, user, "name!=q-beta", "state=Succeeded", sort="name")["inventories"]] == [
        "q-alpha",
        "q-gamma",
    ]
    page = query(zs, user, sort="name", start=1, limit=1, replyWithCount="true")
    assert [j["name"] for j in page["inventories"]] == ["q-beta"] and page["total"] == 3
    assert query(zs, user, "description is null", count="true") == {"total": 3, "schema": {}}
    assert query(zs, user, "apiId=" + jobs[0]["apiId"], fields="uuid,state")["inventories"] == [
        {"uuid": jobs[0]["uuid"], "state": "Succeeded"}
    ]
    bad = zs.http.get("/longjobs", params={"q": "name"}, headers=oauth(user))
    assert bad.status_code == 400 and "doesn't contain any query operator" in bad.text
    unknown = zs.http.get("/longjobs", params={"q": "color=red"}, headers=oauth(user))
    assert "condition name[color]" in error(unknown, "SYS.1007")["details"]


def test_a_full_pool_leaves_the_job_waiting_until_a_worker_is_free(zs: ZStack, tmp_path: Path):
    admin = zs.admin()
    gates = [tmp_path / f"gate{i}" for i in range(3)]
    busy = [submitted(zs, admin, "GateJob", gate_data(g)) for g in gates[:2]]  # the server has two workers
    assert [j["state"] for j in busy] == ["Running", "Running"]
    queued = submitted(zs, admin, "GateJob", gate_data(gates[2]))
    assert queued["state"] == "Waiting" and "managementNodeUuid" not in queued
    gates[0].write_text("ok")
    assert wait_state(zs, admin, queued["uuid"], "Running")["managementNodeUuid"]
    for g in gates[1:]:
        g.write_text("ok")
    for j in (*busy, queued):
        wait_state(zs, admin, j["uuid"], "Succeeded")


def test_a_waiting_job_is_canceled_at_once(zs: ZStack, tmp_path: Path):
    admin = zs.admin()
    gates = [tmp_path / f"gate{i}" for i in range(3)]
    busy = [submitted(zs, admin, "GateJob", gate_data(g)) for g in gates[:2]]
    queued = submitted(zs, admin, "GateJob", gate_data(gates[2]))
    assert queued["state"] == "Waiting"
    canceled = acted(zs, admin, queued["uuid"], "cancelLongJob")
    assert canceled["state"] == "Canceled" and "managementNodeUuid" not in canceled
    for j in busy:
        assert acted(zs, admin, j["uuid"], "cancelLongJob")["state"] == "Canceled"


def test_a_job_past_long_job_api_timeout_fails(zs: ZStack, gate: Path):
    admin = zs.admin()
    zs.set_config("longJob", "api.timeout", 1)
    inventory = submitted(zs, admin, "GateJob", gate_data(gate))
    failed = wait_state(zs, admin, inventory["uuid"], "Failed", timeout=5)
    assert "longJob.api.timeout (1 s)" in failed["jobResult"]
    refused = zs.call(
        "PUT", "/global-configurations/longJob/api.timeout/actions", admin, {"updateGlobalConfig": {"value": 0}}
    )
    assert "at least 1" in error(refused, "SYS.1007")["details"]


def test_a_long_jobs_progress_belongs_to_its_owner_and_is_processing_until_the_job_ends(zs: ZStack, gate: Path):
    zs.set_config("rest", "completedApi.expiredPeriod", 1)
    zs.set_config("rest", "expiredApi.scanInterval", 1)
    user = zs.login(zs.create_account()["name"], "secret")
    other = zs.login(zs.create_account()["name"], "secret")
    inventory = submitted(zs, user, "GateJob", gate_data(gate))
    api_id = inventory["apiId"]
    deadline = time.monotonic() + 10
    while zs.http.get(f"/api-jobs/{api_id}", headers=oauth(user)).status_code != 404:  # the submit's record expires
        assert time.monotonic() < deadline, "the submit call's result did not expire"
        time.sleep(0.1)
    reply = zs.http.get(f"/task-progresses/{api_id}", headers=oauth(user)).json()
    assert [p["content"] for p in reply["inventories"]] == ["10"]  # still the owner's, though the record is gone
    assert reply["summary"]["state"] == "processing" and reply["summary"]["finished"] is False
    assert progress(zs, other, api_id) == []  # not another account's
    gate.write_text("ok")
    wait_state(zs, user, inventory["uuid"], "Succeeded")
    reply = zs.http.get(f"/task-progresses/{api_id}", headers=oauth(user)).json()
    assert reply["summary"]["state"] == "succeeded" and reply["summary"]["finished"] is True
