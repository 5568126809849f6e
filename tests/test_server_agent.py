"""The agent report channel over a real server (SQLite and PostgreSQL): ``POST /zstack/asyncrest/sendcommand``.

Reports are posted as ZStack's agents post them (spec §10: ``R(A, p, stack, name, stage, detail)``) and read back
with GetTaskProgress (``Q(A)``); refused requests are checked to have stored nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from helpers import new_api_id
from serverproc import ServerProcess
from test_server_progress import progress
from test_server_rest import refused
from zstack import ZStack, new_id

REPORT = "/progress/report"
BATCH = "/progress/report-batch"
TOKEN = "agents-only-0123456789"
VM_API = "org.zstack.header.vm.APICreateVmInstanceMsg"


@pytest.fixture(scope="module")
def agent(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server.base_url}/zstack/asyncrest", timeout=30) as client:
        yield client


def cmd(api: str | None, p: Any, stack=(), name: str | None = "T", stage=None, detail=None, **extra) -> dict:
    context: dict[str, Any] = {} if api is None else {"api": api}
    if name is not None:
        context["task-name"] = name
    if stage is not None:
        context["task-stage"] = stage
    body = {"threadContextMap": context, "threadContextStack": list(stack), "progress": p, **extra}
    if detail is not None:
        body["detail"] = detail
    return body


def post(client: httpx.Client, body: Any, path: str | None = REPORT, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    all_headers = {"Content-Type": "application/json", **headers}
    if path is not None:
        all_headers["commandpath"] = path
    return client.post("/sendcommand", content=content, headers=all_headers)


def R(client: httpx.Client, api: str | None, p: Any, **kwargs: Any) -> None:
    response = post(client, cmd(api, p, **kwargs))
    assert response.status_code == 200, response.text
    assert response.content == b""  # as ZStack: an empty body


def Q(zs: ZStack, api: str, all: bool = False, session: str | None = None) -> list[dict]:
    return progress(zs, session or zs.admin(), api, "?all=true" if all else "")["inventories"]


def stored(server_store, **where: str) -> int:
    """Records in the database matching ``where`` (column = value), whoever could see them."""
    clause = " AND ".join(f"{column} = '{value}'" for column, value in where.items())
    with server_store.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM task_progress WHERE {clause}").scalar()


# -- where reports land (§2.4) ---------------------------------------------------------------------------


def test_reports_with_an_empty_stack_are_roots_each_with_its_own_task_uuid(zs: ZStack, agent):  # scenarios 3, 4
    a = new_api_id()
    sent = ["20", 40, "60", 80.0, "100"]  # agents send strings or numbers
    for p in sent:
        R(agent, a, p)
        [item] = Q(zs, a)
        assert item["type"] == "Progress" and item["content"] == str(int(float(p)))
        assert "parentUuid" not in item and item["taskName"] == "T" and item["arguments"] == "[]"
    roots = Q(zs, a, all=True)
    assert [r["content"] for r in roots] == ["20", "40", "60", "80", "100"]
    assert len({r["taskUuid"] for r in roots}) == 5
    assert all("subTasks" not in r and "parentUuid" not in r for r in roots)
    assert [r["time"] for r in roots] == sorted(r["time"] for r in roots)


def test_reports_inside_a_subtask_of_a_running_api_job_are_seen_by_its_owner(zs: ZStack, agent, server_store):  # #5
    from taskprogress import step, subtask
    from taskprogress.services.api_jobs import ApiJobs, JobRequest

    alice, bob = zs.create_account(), zs.create_account()
    alice_session, bob_session = zs.login(alice["name"], "secret"), zs.login(bob["name"], "secret")
    a, u = new_id(), new_id()
    fmt = "create a volume[%s] on the local storage"
    with ApiJobs(server_store).run_here(JobRequest(a, VM_API, alice["uuid"], alice_session)):
        with subtask(fmt, "Root"):
            step("Download the image[%s] to the image cache", "image")
        server_store.flush()
        [t] = [r["taskUuid"] for r in Q(zs, a, all=True, session=alice_session) if r["content"] == fmt]
        for p in range(6):
            R(agent, a, str(p), stack=[t, u], name=fmt)
            task, report = Q(zs, a, session=alice_session)
            assert task["taskUuid"] == t and "parentUuid" not in task
            assert (task["type"], task["taskName"], task["content"]) == ("Task", VM_API, fmt)
            assert task["arguments"] == '["Root"]'
            assert (report["type"], report["content"], report["taskName"]) == ("Progress", str(p), fmt)
            assert report["parentUuid"] == t and report["taskUuid"] == u
            assert json.loads(report["arguments"]) == []
        assert Q(zs, a, session=bob_session) == []  # someone else's API job
    [root] = Q(zs, a, all=True, session=alice_session)
    assert [r["content"] for r in root["subTasks"]] == ["Download the image[%s] to the image cache", *"012345"]


def test_reports_in_a_nested_subtask_come_with_their_whole_chain(zs: ZStack, agent, server_store):  # scenario 6
    from taskprogress import api, subtask

    a, u2, u3 = new_api_id(), new_id(), new_id()
    with api(a, VM_API, sink=server_store, finish=False):
        with subtask("create a virtual router vm"):
            with subtask("create a volume[%s] on the local storage", "Root"):
                pass
    server_store.flush()
    [t2_row] = Q(zs, a, all=True)
    t2, t3 = t2_row["taskUuid"], t2_row["subTasks"][0]["taskUuid"]
    R(agent, a, "30", stack=[t2, u2, t3, u3], name="create a volume[%s] on the local storage")
    chain = Q(zs, a)
    assert [(i["type"], i["taskUuid"], i.get("parentUuid")) for i in chain] == [
        ("Task", t2, None),
        ("Task", t3, t2),
        ("Progress", u3, t3),
    ]
    assert chain[2]["content"] == "30"


def test_a_one_element_stack_is_a_root_not_an_orphan(zs: ZStack, agent):  # scenario 25
    a = new_api_id()
    R(agent, a, "10", stack=["x"])
    [root] = Q(zs, a, all=True)
    assert root["taskUuid"] == "x" and "parentUuid" not in root and root["content"] == "10"
    assert Q(zs, a) == [root]


def test_detail_is_served_as_opaque(zs: ZStack, agent):  # scenario 8
    a = new_api_id()
    R(agent, a, "37", detail={"remain": 10, "total": 100})
    [item] = Q(zs, a)
    assert item["opaque"] == {"remain": 10, "total": 100} and item["content"] == "37"
    R(agent, a, "38")
    [item] = Q(zs, a)
    assert "opaque" not in item


def test_a_late_lower_report_does_not_lower_the_served_percent(zs: ZStack, agent):  # scenario 26, improved
    a = new_api_id()
    R(agent, a, "50")
    R(agent, a, 40)  # posted from another agent thread, arriving late
    assert [i["content"] for i in Q(zs, a)] == ["50"]
    assert progress(zs, zs.admin(), a)["summary"]["percent"] == 50


def test_a_missing_task_name_gets_a_name_instead_of_a_500(zs: ZStack, agent):
    a = new_api_id()
    R(agent, a, "5", name=None)
    [item] = Q(zs, a)
    assert item["taskName"] == "agent report" and item["content"] == "5"


def test_fields_zstack_ignores_are_accepted(zs: ZStack, agent):
    a = new_api_id()
    extra = {"serverUuid": new_id(), "processType": "DownloadImage", "resourceUuid": new_id(), "serverType": "KVM"}
    R(agent, a, "12", stage="10-46", unknownField={"x": 1}, **extra)
    assert [i["content"] for i in Q(zs, a)] == ["12"]


# -- what is dropped and what is refused -----------------------------------------------------------------


def test_a_report_without_api_is_answered_200_and_dropped(agent, server_store):  # scenario 23
    marker = f"no api {new_id()}"
    R(agent, None, "20", name=marker)
    assert stored(server_store, task_name=marker) == 0


def test_with_progress_off_reports_are_answered_200_and_dropped(zs: ZStack, agent):  # scenario 9
    a = new_api_id()
    zs.set_config("progress", "on", "false")
    R(agent, a, "20")
    assert Q(zs, a) == []
    zs.restore_configs()
    R(agent, a, "30")
    assert [i["content"] for i in Q(zs, a)] == ["30"]


def test_the_command_path_header_is_required_and_must_be_known(agent):  # scenario 24
    body = cmd(new_api_id(), "20")
    refused(post(agent, body, path=None), 400, "missing header 'commandpath'")
    refused(post(agent, body, path="/progress/start"), 404, "no command handler for commandpath[/progress/start]")
    refused(agent.get("/sendcommand"), 405, "The method[GET] is not allowed for the path[/asyncrest/sendcommand]")


@pytest.mark.parametrize(
    ("progress_value", "message"),
    [("abc", 'got "abc"'), ("", 'got ""'), ("-1", 'got "-1"'), (101, "got 101"), (None, "got null")],
)
def test_a_bad_progress_is_a_400_and_nothing_is_stored(zs: ZStack, agent, server_store, progress_value, message):
    a = new_api_id()
    response = post(agent, cmd(a, progress_value))
    refused(response, 400, "progress must be a number within 0-100 (or such a number as a string)")
    assert message in response.text
    assert Q(zs, a) == [] and stored(server_store, api_id=a) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "malformed JSON body"),
        (b"", "malformed JSON body"),
        (b"[1, 2]", "a report must be a JSON object"),
        ({"threadContextMap": "api", "progress": "5"}, "threadContextMap must be a JSON object"),
        ({"threadContextMap": {"api": "A"}, "progress": "5"}, "threadContextMap.api must be an apiId"),
        ({"threadContextStack": [1], "progress": "5"}, "threadContextStack[0] must be a uuid"),
        ({"detail": [1, 2], "progress": "5"}, "detail must be a JSON object"),
        ({"threadContextMap": {"task-stage": "ten-forty"}, "progress": "5"}, "task-stage"),
    ],
)
def test_a_malformed_body_is_a_400(agent, body, message: str):
    refused(post(agent, body), 400, message)


def test_a_refused_report_with_an_api_stores_nothing(zs: ZStack, agent, server_store):
    a = new_api_id()
    refused(post(agent, cmd(a, "20", stack=["a" * 33])), 400, "threadContextStack[0] must be a uuid")
    assert Q(zs, a) == [] and stored(server_store, api_id=a) == 0


def test_a_body_over_the_limit_is_a_413(agent):
    body = cmd(new_api_id(), "20", detail={"blob": "x" * 300_000})
    refused(post(agent, body), 413, "the body is larger than 262144 bytes")


# -- batches -----------------------------------------------------------------------------------------------


def test_a_batch_stores_every_report_in_order(zs: ZStack, agent):
    a, b = new_api_id(), new_api_id()
    reports = [cmd(a, "10"), cmd(b, 15), cmd(a, "20", detail={"n": 2}), cmd(None, "99"), cmd(a, "30")]
    response = post(agent, {"reports": reports}, path=BATCH)
    assert response.status_code == 200 and response.content == b""
    assert [r["content"] for r in Q(zs, a, all=True)] == ["10", "20", "30"]
    assert [r["content"] for r in Q(zs, b)] == ["15"]
    assert [r.get("opaque") for r in Q(zs, a, all=True)] == [None, {"n": 2}, None]


def test_one_bad_report_refuses_the_whole_batch(zs: ZStack, agent, server_store):
    a = new_api_id()
    reports = [cmd(a, "10"), cmd(a, "20"), cmd(a, "abc"), cmd(a, "40")]
    refused(post(agent, {"reports": reports}, path=BATCH), 400, "reports[2]: progress must be a number")
    assert Q(zs, a) == [] and stored(server_store, api_id=a) == 0


def test_a_batch_is_bounded(zs: ZStack, agent, server_store):
    a = new_api_id()
    refused(post(agent, {"reports": [cmd(a, "1")] * 1001}, path=BATCH), 400, "at most 1000 reports, got 1001")
    refused(post(agent, [cmd(a, "1")], path=BATCH), 400, "the body must be a JSON object")
    assert stored(server_store, api_id=a) == 0
    response = post(agent, {"reports": [cmd(a, str(p // 10)) for p in range(1000)]}, path=BATCH)
    assert response.status_code == 200, response.text
    assert stored(server_store, api_id=a) == 1000 and [i["content"] for i in Q(zs, a)] == ["99"]


# -- visibility ----------------------------------------------------------------------------------------------


def test_reports_for_an_api_id_without_an_api_job_are_for_admins_only(zs: ZStack, agent):
    a = new_api_id()
    R(agent, a, "70")
    account = zs.create_account()
    session = zs.login(account["name"], "secret")
    assert Q(zs, a, session=session) == [] and Q(zs, a, all=True, session=session) == []
    assert [i["content"] for i in Q(zs, a)] == ["70"]  # an admin


# -- who may report: networks and token --------------------------------------------------------------------


@pytest.fixture(scope="module")
def fenced(server_database_url: str, tmp_path_factory) -> Iterator[ServerProcess]:
    """A second node on the same database that accepts agent reports from 10.0.0.0/8 only (not loopback)."""
    log = tmp_path_factory.mktemp("fenced") / "serve.log"
    process = ServerProcess(server_database_url, log, args=["--agent-networks", "10.0.0.0/8"]).start()
    try:
        yield process
    finally:
        assert process.stop() == 0, process.log()


@pytest.fixture(scope="module")
def tokened(server_database_url: str, tmp_path_factory) -> Iterator[ServerProcess]:
    """A node whose agents must present a token (from the environment); networks stay the default."""
    log = tmp_path_factory.mktemp("tokened") / "serve.log"
    process = ServerProcess(server_database_url, log, env={"TASKPROGRESS_AGENT_TOKEN": TOKEN}).start()
    try:
        yield process
    finally:
        assert process.stop() == 0, process.log()


def test_reports_from_outside_the_agent_networks_are_refused(fenced: ServerProcess, zs: ZStack, server_store):
    a = new_api_id()
    with httpx.Client(base_url=f"{fenced.base_url}/zstack/asyncrest") as client:
        response = post(client, cmd(a, "20"))
        refused(response, 403, "agent reports are not accepted from [127.0.0.1]")
        assert "outside the allowed agent networks" in response.text
        # X-Forwarded-For is anyone's to write: it does not move the client into an allowed network
        refused(post(client, cmd(a, "20"), **{"X-Forwarded-For": "10.1.2.3"}), 403, "[127.0.0.1]")
        refused(post(client, {"reports": [cmd(a, "20")]}, path=BATCH), 403, "not accepted from")
    assert Q(zs, a) == [] and stored(server_store, api_id=a) == 0
    assert "refused an agent report" in fenced.log()


def test_x_forwarded_for_does_not_refuse_a_loopback_agent_either(zs: ZStack, agent):
    a = new_api_id()
    response = post(agent, cmd(a, "20"), **{"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 200, response.text
    assert [i["content"] for i in Q(zs, a)] == ["20"]


def test_with_a_token_only_reports_carrying_it_are_accepted(tokened: ServerProcess, zs: ZStack, server_store):
    a = new_api_id()
    with httpx.Client(base_url=f"{tokened.base_url}/zstack/asyncrest") as client:
        refused(post(client, cmd(a, "20")), 403, "missing header 'X-Agent-Token'")
        refused(post(client, cmd(a, "20"), **{"X-Agent-Token": TOKEN[:-1] + "x"}), 403, "wrong 'X-Agent-Token'")
        refused(post(client, cmd(a, "20"), **{"X-Agent-Token": TOKEN + TOKEN}), 403, "wrong 'X-Agent-Token'")
        assert stored(server_store, api_id=a) == 0
        response = post(client, cmd(a, "20"), **{"X-Agent-Token": TOKEN})
        assert response.status_code == 200 and response.content == b""
    assert [i["content"] for i in Q(zs, a)] == ["20"]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--agent-networks", "10.0.0.1/8"], {}, "has host bits set"),
        (["--agent-networks", "localhost"], {}, "is not a CIDR"),
        ([], {"TASKPROGRESS_AGENT_NETWORKS": ""}, "TASKPROGRESS_AGENT_NETWORKS is set but empty"),
        ([], {"TASKPROGRESS_AGENT_TOKEN": ""}, "TASKPROGRESS_AGENT_TOKEN is set but empty"),
        (["--agent-networks", ""], {}, "comma-separated CIDRs"),
        ([], {"TASKPROGRESS_AGENT_TOKEN": "short"}, "at least 16 characters"),
        (["--agent-token", "with spaces in the token"], {}, "printable ASCII"),
    ],
)
def test_bad_agent_settings_stop_the_server_at_start_up(tmp_path: Path, args, env, message: str):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TASKPROGRESS_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "taskprogress.cli",
            "serve",
            "--port",
            "0",
            "--database-url",
            f"sqlite:///{tmp_path}/t.db",
            *args,
        ],
        env={**clean, **env, "COLUMNS": "400"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "agent" in result.stderr.lower()
    assert not (tmp_path / "t.db").exists()  # refused before anything started


# -- documentation -------------------------------------------------------------------------------------------


def test_the_openapi_document_describes_the_channel(server):
    document = httpx.get(f"{server.base_url}/zstack/openapi.json").json()
    for path in ("/zstack/asyncrest/sendcommand", "/asyncrest/sendcommand"):
        operation = document["paths"][path]["post"]
        assert set(document["paths"][path]) == {"post"}
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert parameters["commandpath"]["in"] == "header" and parameters["commandpath"]["required"] is True
        assert parameters["X-Agent-Token"]["required"] is False
        assert set(operation["responses"]) == {"200", "400", "403", "404", "413", "503"}
        assert "content" not in operation["responses"]["200"]  # an empty body
        assert operation["responses"]["403"]["content"] == {"text/plain": {"schema": {"type": "string"}}}
        report, batch = operation["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
        assert report["required"] == ["progress"] and set(report["properties"]) >= {
            "progress",
            "detail",
            "threadContextMap",
            "threadContextStack",
        }
        assert batch["properties"]["reports"]["maxItems"] == 1000
    assert not any("/sendcommand" in p for p in document["paths"] if "/v1/" in p)
