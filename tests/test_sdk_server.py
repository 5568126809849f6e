"""The SDK against a real ``taskprogress serve`` (SQLite and PostgreSQL): every ZStack-style action, the client
and its async twin, ``watch`` by stream and by long poll, a resumed stream, ``wait``."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

import taskprogress.sdk as sdk
from zstack import ZStack, new_id

WORK = "org.example.APIWorkMsg"


@pytest.fixture
def configured(server) -> Iterator[None]:
    url = urlsplit(server.base_url)
    sdk.configure(hostname=url.hostname, port=url.port, context_path="/zstack", polling_interval=0.05)
    try:
        yield
    finally:
        sdk.configure(hostname="127.0.0.1", port=8080, context_path=None, polling_interval=1.0)


def action(cls, **fields):
    a = cls()
    for name, value in fields.items():
        setattr(a, name, value)
    return a


def write(server_store, api_id: str, *percents: float, step: str | None = None, finish: bool = False) -> None:
    from taskprogress import api, report
    from taskprogress import step as add_step

    with api(api_id, WORK, sink=server_store, finish=finish):
        if step is not None:
            add_step(step)
        for percent in percents:
            report(percent)
    server_store.flush()


# -- ZStack-style actions ----------------------------------------------------------------------------------


def test_session_actions(zs: ZStack, configured):
    login = action(sdk.LogInByAccountAction, accountName="admin", password=sdk.hash_password("password")).call()
    assert login.error is None
    session = login.value.inventory.uuid
    assert len(session) == 32 and login.value.inventory.missingField is None
    wrong = action(sdk.LogInByAccountAction, accountName="admin", password=sdk.hash_password("nope")).call()
    assert wrong.value is None and wrong.error.code == "ID.1000"  # the real code, not sdk.1000
    assert action(sdk.ValidateSessionAction, sessionUuid=session).call().value.valid is True
    renewed = action(sdk.RenewSessionAction, sessionUuid=session, duration=600, sessionId=session).call()
    assert renewed.error is None and renewed.value.inventory.uuid == session
    assert action(sdk.LogOutAction, sessionUuid=session).call().error is None
    assert action(sdk.ValidateSessionAction, sessionUuid=session).call().value.valid is False
    expired = action(sdk.RenewSessionAction, sessionUuid=session, sessionId=session).call()
    assert expired.error.code == "ID.1001"  # an async API: the failure comes from its job


def test_get_task_progress_action(zs: ZStack, server_store, configured):
    admin, api_id = zs.admin(), new_id()
    write(server_store, api_id, 40, step="download")
    newest = action(sdk.GetTaskProgressAction, apiId=api_id, sessionId=admin).call()
    assert newest.error is None and [i.content for i in newest.value.inventories] == ["40"]
    tree = action(sdk.GetTaskProgressAction, apiId=api_id, all=True, sessionId=admin, systemTags=["x"]).call()
    assert [i.content for i in tree.value.inventories] == ["download", "40"]
    bad = action(sdk.GetTaskProgressAction, apiId="nope", sessionId=admin).call()
    assert bad.error.code == "SYS.1007" and "not a valid uuid" in bad.error.details
    stale = action(sdk.GetTaskProgressAction, apiId=api_id, sessionId=new_id()).call()
    assert stale.error.code == "ID.1001"


def test_global_config_actions(zs: ZStack, configured):
    admin = zs.admin()
    query = action(sdk.QueryGlobalConfigAction, sessionId=admin, conditions=["category=progress"], sortBy="name")
    configs = query.call().value.inventories
    names = [c.name for c in configs]
    assert names == sorted(names) and {c.category for c in configs} == {"progress"}
    zs._changed.append(("progress", "stallTimeout"))  # restored by the zs fixture
    update = action(sdk.UpdateGlobalConfigAction, category="progress", name="stallTimeout", value=77, sessionId=admin)
    assert update.call().value.inventory.value == "77"
    account = zs.create_account()
    normal = zs.login(account["name"], "secret")
    refused = action(sdk.UpdateGlobalConfigAction, category="progress", name="stallTimeout", value=5, sessionId=normal)
    assert refused.call().error.code == "ID.1002"


def test_long_job_actions(zs: ZStack, configured):
    admin, api_id = zs.admin(), new_id()
    sleeping = json.dumps({"script": [{"step": "wait"}, {"sleep": 60}]})
    submit = action(sdk.SubmitLongJobAction, jobName="ScriptedJob", jobData=sleeping, name="nap", sessionId=admin)
    submit.apiId = api_id  # zssdk's client-chosen call id: the job's apiId
    submitted = submit.call()
    assert submitted.error is None, submitted.error
    job = submitted.value.inventory
    assert job.apiId == api_id and job.name == "nap" and job.state in ("Waiting", "Running")
    queried = action(sdk.QueryLongJobAction, sessionId=admin, conditions=[f"uuid={job.uuid}"]).call()
    assert [j.uuid for j in queried.value.inventories] == [job.uuid]
    canceled = action(sdk.CancelLongJobAction, uuid=job.uuid, sessionId=admin).call()
    assert canceled.error is None and canceled.value.inventory.state == "Canceled"
    rerun = action(sdk.RerunLongJobAction, uuid=job.uuid, sessionId=admin).call()
    assert rerun.error is None and rerun.value.inventory.uuid == job.uuid and rerun.value.inventory.apiId != api_id
    action(sdk.CancelLongJobAction, uuid=job.uuid, sessionId=admin).call()
    assert action(sdk.DeleteLongJobAction, uuid=job.uuid, sessionId=admin).call().error is None
    assert (
        action(sdk.QueryLongJobAction, sessionId=admin, conditions=[f"uuid={job.uuid}"]).call().value.inventories == []
    )
    refused = action(sdk.CancelLongJobAction, uuid=job.uuid, sessionId=admin).call()  # a deleted job
    assert refused.error is not None and not refused.error.code.startswith("sdk."), refused.error
    bad = action(sdk.SubmitLongJobAction, jobName="NoSuchJob", jobData="{}", sessionId=admin).call()
    assert bad.error is not None and not bad.error.code.startswith("sdk."), bad.error


# -- the pythonic client -----------------------------------------------------------------------------------


def test_client_sessions_and_typed_progress(zs: ZStack, server, server_store):
    api_id = new_id()
    write(server_store, api_id, 10, 30, step="copy")
    with sdk.Client(server.base_url) as client:
        with pytest.raises(sdk.APIError) as wrong:
            client.login("admin", "wrong")
        assert wrong.value.code == "ID.1000"
        session = client.login("admin", "password")
        assert client.session_id == session.uuid and client.validate_session()
        assert [(p.type, p.content) for p in client.get_task_progress(api_id)] == [("Progress", "30")]
        roots = client.get_task_progress(api_id, all=True)
        assert [(p.type, p.content, p.percent) for p in roots] == [
            ("Task", "copy", None),
            ("Progress", "10", 10.0),
            ("Progress", "30", 30.0),
        ]
        summary = client.get_summary(api_id)
        assert summary.percent == 30 and summary.finished is False and summary.eta_basis in ("rate", "unknown")
        assert client.get_summary(new_id()) is None
        assert client.renew_session(600).uuid == session.uuid
        with pytest.raises(sdk.APIError) as bad:
            client.get_task_progress("not-hex")
        assert bad.value.code == "SYS.1007"
        client.logout()
        client.session_id = session.uuid
        with pytest.raises(sdk.APIError) as gone:
            client.get_task_progress(api_id)
        assert gone.value.code == "ID.1001"


def test_client_reports_an_unreachable_server_as_a_transport_error():
    with sdk.Client("http://127.0.0.1:9", timeout=2) as client, pytest.raises(sdk.TransportError):
        client.login("admin", "password")


@pytest.mark.parametrize("mode", ["stream", "poll"])
def test_watch_yields_every_change_until_the_api_finishes(zs: ZStack, server, server_store, mode: str):
    api_id = new_id()
    write(server_store, api_id, 10, step="begin")
    with sdk.Client(server.base_url, session_id=zs.admin()) as client:
        changes = client.watch(api_id, timeout=60, mode=mode)
        first = next(changes)
        assert first.kind == "progress" and first.record.content == "begin"
        write(server_store, api_id, 50, 90, finish=True)
        rest = list(changes)
    records = [c.record.content for c in [first, *rest] if c.kind == "progress"]
    assert records == ["begin", "10", "50", "90"]
    assert rest[-1].kind == "finished" and rest[-1].summary.finished and rest[-1].summary.percent == 90
    tree = sdk.ProgressTree()
    for change in [first, *rest]:
        if change.record is not None:
            tree.add(change.record)
    assert tree.percent == 90.0


class DroppingTransport(httpx.HTTPTransport):
    """Cuts the first event streams after their first complete event, as a flaky network would."""

    def __init__(self, drops: int) -> None:
        super().__init__()
        self.drops = drops
        self.stream_requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if not request.url.path.endswith("/events"):
            return response
        self.stream_requests.append(request)
        if self.drops == 0:
            return response
        self.drops -= 1
        return httpx.Response(response.status_code, headers=response.headers, stream=_cut(response))


class _cut(httpx.SyncByteStream):
    _EVENT_END = re.compile(rb"event: progress.*?(\r\n\r\n|\n\n)", re.DOTALL)  # sse-starlette ends lines with CRLF

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        buffered = b""
        for chunk in self._response.stream:
            buffered += chunk
            if match := self._EVENT_END.search(buffered):
                yield buffered[: match.end()]
                raise httpx.ReadError("connection reset (test)")
        yield buffered

    def close(self) -> None:
        self._response.close()


def test_watch_resumes_a_dropped_stream_with_nothing_missed_or_twice(zs: ZStack, server, server_store):
    api_id = new_id()
    write(server_store, api_id, 10, 20, 30, step="s")
    transport = DroppingTransport(drops=2)
    with sdk.Client(server.base_url, session_id=zs.admin(), transport=transport) as client:
        changes = client.watch(api_id, timeout=60, mode="stream")
        got = [next(changes) for _ in range(4)]
        write(server_store, api_id, 40, finish=True)
        got += list(changes)
    assert [c.record.content for c in got if c.kind == "progress"] == ["s", "10", "20", "30", "40"]
    resumed = [r.headers.get("Last-Event-ID") for r in transport.stream_requests]
    assert resumed[0] is None and resumed[1] == got[0].id and resumed[2] == got[1].id
    assert got[-1].kind == "finished"


def test_wait_returns_the_api_jobs_result_and_raises_its_failure(zs: ZStack, server, server_store):
    from taskprogress import report
    from taskprogress.errors import TaskProgressError
    from taskprogress.services.api_jobs import ApiJobs, JobRequest

    admin = zs.admin()
    jobs = ApiJobs(server_store)
    ok, broken = new_id(), new_id()
    release = threading.Event()

    def run(job_id: str, fail: bool) -> None:
        with jobs.run_here(JobRequest(job_id, WORK, zs_admin_uuid(zs, admin), admin)):
            report(40)
            server_store.flush()
            release.wait(30)
            if fail:
                raise TaskProgressError("the work broke")

    with sdk.Client(server.base_url, session_id=admin) as client:
        worker = threading.Thread(target=run, args=(ok, False))
        worker.start()
        with pytest.raises(sdk.TimeoutError):
            client.wait(ok, timeout=0.5)
        release.set()
        result = client.wait(ok, timeout=60)
        worker.join()
        assert result.api_id == ok and result.state == "succeeded" and result.result == {}
        assert result.summary.finished and result.summary.percent == 40

        def run_broken() -> None:
            with pytest.raises(TaskProgressError):
                run(broken, True)

        failing = threading.Thread(target=run_broken)
        failing.start()
        with pytest.raises(sdk.APIError) as failed:
            client.wait(broken, timeout=60)
        failing.join()
        assert failed.value.code == "SYS.1000"
        no_job = new_id()
        write(server_store, no_job, 100, finish=True)
        assert client.wait(no_job, timeout=60).state is None  # progress without an API job


def zs_admin_uuid(zs: ZStack, session: str) -> str:
    response = zs.http.get(f"/accounts/sessions/{session}/valid")
    assert response.status_code == 200
    accounts = zs.http.get("/accounts", params={"q": "name=admin"}, headers={"Authorization": f"OAuth {session}"})
    return accounts.json()["inventories"][0]["uuid"]


def test_client_long_jobs_submit_watch_wait(zs: ZStack, server):
    script = {"script": [{"step": "prepare"}, {"progress": 50}, {"sleep": 0.2}], "result": {"done": True}}
    with sdk.Client(server.base_url, session_id=zs.admin()) as client:
        submitted = client.submit_long_job("ScriptedJob", script, name="demo")
        api_id = submitted.api_id
        assert submitted.name == "demo" and submitted.state in ("Waiting", "Running")
        contents = [c.record.content for c in client.watch(api_id, timeout=60) if c.kind == "progress"]
        assert contents == ["prepare", "50", "100"]  # the job's records, then the runner's final 100
        result = client.wait(api_id, timeout=60)
        job = sdk.LongJob.from_json(result.result["inventory"])
        assert job.api_id == api_id and result.summary.finished
        [listed] = client.list_long_jobs(f"uuid={job.uuid}")
        final = client.get_long_job(job.uuid)
        assert listed.uuid == final.uuid == submitted.uuid and final.state == "Succeeded"
        assert json.loads(final.job_result) == {"done": True}
        sleeper = client.submit_long_job("ScriptedJob", {"script": [{"sleep": 60}]})
        uuid = sleeper.uuid
        assert client.cancel_long_job(uuid).state == "Canceled"
        assert client.rerun_long_job(uuid).state in ("Waiting", "Running")
        client.cancel_long_job(uuid)
        client.delete_long_job(uuid)
        with pytest.raises(sdk.RequestRefused):
            client.get_long_job(uuid)
        with pytest.raises(sdk.APIError) as unknown_type:
            client.submit_long_job("NoSuchJob", {})
        assert not unknown_type.value.code.startswith("sdk.")


def test_the_async_client_is_a_twin(zs: ZStack, server, server_store):
    api_id = new_id()
    write(server_store, api_id, 10, step="a")

    async def scenario() -> None:
        async with sdk.AsyncClient(server.base_url) as client:
            await client.login("admin", "password")
            assert await client.validate_session()
            assert [p.content for p in await client.get_task_progress(api_id, all=True)] == ["a", "10"]
            assert (await client.get_summary(api_id)).percent == 10
            changes = client.watch(api_id, timeout=60)
            first = await anext(changes)
            assert first.record.content == "a"
            await asyncio.to_thread(write, server_store, api_id, 60, finish=True)
            rest = [change async for change in changes]
            assert [c.record.content for c in rest if c.kind == "progress"] == ["10", "60"]
            assert (await client.wait(api_id, timeout=30)).state is None
            with pytest.raises(sdk.APIError) as bad:
                await client.get_task_progress("x")
            assert bad.value.code == "SYS.1007"
            await client.logout()

    asyncio.run(scenario())
