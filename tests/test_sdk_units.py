"""SDK logic without a server: the SSE decoder, the progress tree, watch's poll diffing, request building of the
ZStack-style actions, and the reading of answers (through ``httpx.MockTransport``)."""

from __future__ import annotations

import json

import httpx
import pytest

import taskprogress.sdk as sdk
from taskprogress.sdk._sse import SSEDecoder
from taskprogress.sdk._watch import WatchState

API = "0123456789abcdef0123456789abcdef"


def decode(text: str):
    decoder = SSEDecoder()
    return [e for line in text.split("\n") if (e := decoder.feed(line)) is not None]


def test_sse_decoder_reads_events_and_skips_comments():
    events = decode(': ping\n\nid: 5\nevent: progress\ndata: {"a":\ndata: 1}\n\nretry: 3\n\ndata:x\n\n')
    assert [(e.event, e.id, e.data) for e in events] == [("progress", "5", '{"a":\n1}'), ("message", None, "x")]


def record(uuid: str, parent: str | None, content: str, type: str = "Task", time: int = 1) -> sdk.TaskProgress:
    return sdk.TaskProgress(uuid, "T", type, time, parent_uuid=parent, content=content)


def test_progress_tree_hangs_records_under_the_newest_earlier_parent():
    tree = sdk.ProgressTree()
    tree.add(record("a", None, "root step"))
    tree.add(record("b", "a", "sub", type="Task"))
    tree.add(record("c", "b", "40", type="Progress"))
    tree.add(record("d", "zz", "orphan"))
    tree.add(record("e", None, "55", type="Progress"))
    assert [(depth, n.record.content) for depth, n in tree.walk()] == [
        (0, "root step"),
        (1, "sub"),
        (2, "40"),
        (0, "orphan"),
        (0, "55"),
    ]
    assert tree.roots[0].children[0].percent == 40.0 and tree.percent == 55.0


def test_poll_mode_yields_each_record_once_in_time_order_and_ends_when_over():
    state = WatchState(API, "poll")
    tree = [
        {"taskUuid": "a", "taskName": "T", "type": "Task", "time": 1, "content": "s",
         "subTasks": [{"taskUuid": "b", "taskName": "T", "type": "Progress", "time": 3, "content": "10"}]},
        {"taskUuid": "c", "taskName": "T", "type": "Progress", "time": 2, "content": "5"},
    ]  # fmt: skip
    summary = {"apiId": API, "state": "processing", "percent": 10, "finished": False, "startedAt": 1}
    first = state.on_poll({"inventories": tree, "summary": summary, "seq": 3})
    assert [(e.kind, e.record.content if e.record else None) for e in first] == [
        ("progress", "s"),
        ("progress", "5"),
        ("progress", "10"),
        ("summary", None),
    ]
    assert state.poll_call("sid", 30).params == [("all", "true"), ("waitForChangeAfter", "3"), ("timeoutSeconds", "30")]
    done = {**summary, "state": "succeeded", "finished": True}
    last = state.on_poll({"inventories": tree, "summary": done, "seq": 3})
    assert [e.kind for e in last] == ["summary", "finished"] and last[-1].state == "succeeded" and state.finished
    zstack = WatchState(API, "poll")
    zstack.on_poll({"inventories": []})  # no "seq": a server without long polls
    assert zstack.long_poll is False and zstack.poll_call(None, 30).params == [("all", "true")]


def client(handler) -> sdk.Client:
    return sdk.Client("http://zstack.test:8080", session_id="s" * 32, transport=httpx.MockTransport(handler))


def test_answers_become_typed_results_or_the_errors_they_carry():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "OAuth " + "s" * 32
        assert request.url.path.startswith("/zstack/v1/")
        if request.url.path.endswith("/longjobs"):
            return httpx.Response(404, text="no api mapping to /v1/longjobs")
        if "bad" in request.url.path:
            return httpx.Response(503, json={"error": {"code": "SYS.1007", "details": "not a valid uuid."}})
        if "garbage" in request.url.path:
            return httpx.Response(200, text="<html>")
        child = {"taskUuid": "b", "taskName": "T", "type": "Progress", "time": 8, "content": "5"}
        inventory = {"taskUuid": "a", "taskName": "T", "type": "Task", "time": 7, "content": "x", "subTasks": [child]}
        return httpx.Response(200, json={"inventories": [inventory]})

    with client(handler) as c:
        [root] = c.get_task_progress(API, all=True)
        assert root.sub_tasks[0].percent == 5.0 and root.time == 7
        with pytest.raises(sdk.APIError) as failed:
            c.get_task_progress("bad")
        assert failed.value.code == "SYS.1007" and failed.value.details == "not a valid uuid."
        with pytest.raises(sdk.RequestRefused) as refused:
            c.submit_long_job("ScriptedJob", {"script": []})
        assert refused.value.status_code == 404 and "no api mapping" in refused.value.text
        with pytest.raises(sdk.TransportError):
            c.get_task_progress("garbage")
    with pytest.raises(sdk.ClientClosed):
        c.get_task_progress(API)


def test_an_async_api_is_polled_until_done_and_gives_up_at_its_timeout():
    polls = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            job = "j" * 32
            return httpx.Response(
                202, json={"location": f"http://elsewhere:1/zstack/v1/api-jobs/{job}", "apiTimeout": 5}
            )
        polls.append(request.url)
        return httpx.Response(202, json={})

    with client(handler) as c, pytest.raises(sdk.TimeoutError):
        c.renew_session(timeout=0.3)
    assert polls and all(url.host == "zstack.test" for url in polls)  # polled at the client's own base URL


def test_actions_build_zstack_requests():
    sdk.configure(hostname="10.0.0.1", port=8080, context_path="/zstack")
    try:
        get = sdk.GetTaskProgressAction()
        get.apiId, get.all, get.sessionId, get.systemTags = API, True, "s" * 32, ["a b", "c"]
        request = get._request()
        assert (
            str(request.url)
            == f"http://10.0.0.1:8080/zstack/v1/task-progresses/{API}?all=true&systemTags=a+b&systemTags=c"
        )
        assert request.headers["Authorization"] == "OAuth " + "s" * 32 and "X-Job-UUID" not in request.headers

        submit = sdk.SubmitLongJobAction()
        submit.jobName, submit.jobData, submit.sessionId, submit.apiId = "ScriptedJob", "{}", "sid", API
        request = submit._request()
        assert (request.method, request.url.path) == ("POST", "/zstack/v1/longjobs")
        assert json.loads(request.content) == {"params": {"jobName": "ScriptedJob", "jobData": "{}"}}
        assert request.headers["X-Job-UUID"] == API

        for action_class, key in ((sdk.CancelLongJobAction, "cancelLongJob"), (sdk.RerunLongJobAction, "rerunLongJob")):
            action = action_class()
            action.uuid, action.sessionId = "u" * 32, "sid"
            request = action._request()
            assert (request.method, request.url.path) == ("PUT", f"/zstack/v1/longjobs/{'u' * 32}/actions")
            assert json.loads(request.content) == {key: {}}

        delete = sdk.DeleteLongJobAction()
        delete.uuid, delete.sessionId = "u" * 32, "sid"
        assert (delete._request().method, delete._request().url.path) == ("DELETE", f"/zstack/v1/longjobs/{'u' * 32}")

        query = sdk.QueryLongJobAction()
        query.sessionId, query.conditions, query.limit, query.sortBy, query.sortDirection = (
            "sid",
            ["state=Running"],
            5,
            "createDate",
            "desc",
        )
        params = query._request().url.params
        assert params.get_list("q") == ["state=Running"] and params["limit"] == "5" and params["sort"] == "-createDate"

        with pytest.raises(sdk.ParameterError, match="jobName"):
            missing = sdk.SubmitLongJobAction()
            missing.sessionId = "sid"
            missing._request()
        with pytest.raises(sdk.ParameterError, match="sessionId"):
            no_session = sdk.GetTaskProgressAction()
            no_session.apiId = API
            no_session._request()
        with pytest.raises(sdk.ParameterError, match="unknown settings"):
            sdk.configure(hostnmae="x")
    finally:
        sdk.configure(hostname="127.0.0.1", port=8080, context_path=None)


def test_an_async_action_that_runs_too_long_gives_sdk_1001():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            return httpx.Response(202, json={"location": "http://x/zstack/v1/api-jobs/" + "j" * 32, "apiTimeout": 1})
        return httpx.Response(202, json={})

    sdk.configure(transport=httpx.MockTransport(handler), polling_interval=0.05)
    try:
        action = sdk.RenewSessionAction()
        action.sessionUuid, action.sessionId, action.timeout = "s" * 32, "s" * 32, 0.3
        result = action.call()
        assert result.value is None and result.error.code == "sdk.1001" and "did not finish" in result.error.description
    finally:
        sdk.configure(transport=None, polling_interval=1.0)
