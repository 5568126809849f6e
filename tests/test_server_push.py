"""Push delivery over a real server (SQLite and PostgreSQL): the event stream and the long poll of GetTaskProgress.

The producer is this test process writing into the server's database, i.e. another node: on PostgreSQL the server
hears of it through LISTEN/NOTIFY, on SQLite through its feed's probe. Every wait is bounded by a deadline.
"""

from __future__ import annotations

import threading
import time

import pytest

from helpers import walk
from sse_client import Event, SSEReader
from zstack import ZStack, new_id, oauth

WORK = "org.example.APIWorkMsg"


def events_url(zs: ZStack, api_id: str) -> str:
    return f"{zs.base_url}/zstack/v1/task-progresses/{api_id}/events?keepAliveSeconds=1"


def stream(zs: ZStack, session: str, api_id: str, last_event_id: str | None = None) -> SSEReader:
    headers = oauth(session)
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    return SSEReader(events_url(zs, api_id), headers)


def write(server_store, api_id: str, *percents: float, step: str | None = None, finish: bool = False) -> None:
    from taskprogress import api, report
    from taskprogress import step as add_step

    with api(api_id, WORK, sink=server_store, finish=finish):
        if step is not None:
            add_step(step)
        for percent in percents:
            report(percent)
    server_store.flush()


def order(event_id: str) -> tuple[int, int]:
    seq, _, after = event_id.partition("-")
    return int(seq), int(after or 0)


def contents(events: list[Event]) -> list[str]:
    return [e.data["inventory"]["content"] for e in events if e.kind == "progress"]


def test_records_arrive_in_order_then_the_summary_and_a_final_event(zs: ZStack, server_store):
    admin, api_id = zs.admin(), new_id()
    with stream(zs, admin, api_id) as events:
        assert events.status_code == 200 and events.headers["content-type"].startswith("text/event-stream")
        write(server_store, api_id, 10, 20, step="download")
        first = events.until("summary")
        assert contents(first) == ["download", "10", "20"]
        assert first[-1].data["summary"]["percent"] == 20 and first[-1].data["summary"]["finished"] is False
        write(server_store, api_id, 30, finish=True)
        rest = events.until("finished")
        assert events.ended()
    everything = first + rest
    ids = [order(e.id) for e in everything]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # strictly increasing
    seqs = [e.data["seq"] for e in everything if e.kind == "progress"]
    assert seqs == sorted(seqs) and [order(e.id)[0] for e in everything if e.kind == "progress"] == seqs
    assert contents(everything) == ["download", "10", "20", "30"]
    final = everything[-1]
    assert final.data["apiId"] == api_id and "state" not in final.data  # no API job: no job state
    assert final.data["summary"]["finished"] is True and final.data["summary"]["percent"] == 30


def test_resuming_with_last_event_id_gives_what_was_missed_and_nothing_twice(zs: ZStack, server_store):
    admin, api_id = zs.admin(), new_id()
    write(server_store, api_id, 10, 20, step="start")
    with stream(zs, admin, api_id) as events:
        seen = events.until("summary")
    assert contents(seen) == ["start", "10", "20"]
    write(server_store, api_id, 30, 40, finish=True)
    # From the second record: the third on, then a fresh summary and the end.
    with stream(zs, admin, api_id, last_event_id=seen[1].id) as events:
        resumed = events.until("finished")
    assert contents(resumed) == ["20", "30", "40"]
    # From the summary event (the client had everything up to it): only what came after.
    with stream(zs, admin, api_id, last_event_id=seen[-1].id) as events:
        after_summary = events.until("finished")
    assert contents(after_summary) == ["30", "40"]
    assert order(after_summary[0].id) > order(seen[-1].id)
    ids = [order(e.id) for e in seen + after_summary]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert contents(seen + after_summary) == ["start", "10", "20", "30", "40"]  # nothing missed, nothing twice


def test_an_api_already_over_gives_its_records_and_ends(zs: ZStack, server_store):
    admin, api_id = zs.admin(), new_id()
    write(server_store, api_id, 50, step="only", finish=True)
    with stream(zs, admin, api_id) as events:
        got = events.until("finished")
        assert events.ended()
    assert [e.kind for e in got] == ["progress", "progress", "summary", "finished"]


def test_the_final_event_carries_the_api_jobs_result_state(zs: ZStack, server_store):
    from taskprogress import report
    from taskprogress.errors import TaskProgressError
    from taskprogress.services.api_jobs import ApiJobs, JobRequest

    account = zs.create_account()
    session = zs.login(account["name"], "secret")
    jobs = ApiJobs(server_store)
    ok, broken = new_id(), new_id()
    with stream(zs, session, ok) as events:
        with jobs.run_here(JobRequest(ok, WORK, account["uuid"], session)):
            report(60)
            server_store.flush()
            # The stream may first send a summary of the job with no records yet: wait for the record itself.
            assert contents(events.until("progress")) == ["60"]
        final = events.until("finished")[-1]
    assert final.data["state"] == "succeeded" and final.data["summary"]["state"] == "succeeded"
    with stream(zs, session, broken) as events:
        with pytest.raises(TaskProgressError), jobs.run_here(JobRequest(broken, WORK, account["uuid"], session)):
            report(5)
            raise TaskProgressError("the work broke")
        assert events.until("finished")[-1].data["state"] == "failed"


def quiet_for(events: SSEReader, comments: int) -> list[str]:
    """Read until ``comments`` keep-alives arrived; fail on any event."""
    seen: list[str] = []
    while len(seen) < comments:
        item = events.next(timeout=10)
        assert isinstance(item, str), f"expected only keep-alives, got {item}"
        seen.append(item)
    return seen


def test_someone_elses_stream_looks_exactly_like_an_unknown_one(zs: ZStack, server_store):
    from taskprogress import report
    from taskprogress.services.api_jobs import ApiJobs, JobRequest

    alice, bob = zs.create_account(), zs.create_account()
    alice_session, bob_session = zs.login(alice["name"], "secret"), zs.login(bob["name"], "secret")
    job = new_id()
    with ApiJobs(server_store).run_here(JobRequest(job, WORK, alice["uuid"], alice_session)):
        report(25)
        server_store.flush()
        with stream(zs, bob_session, job) as theirs, stream(zs, bob_session, new_id()) as unknown:
            for events in (theirs, unknown):
                assert events.status_code == 200
                assert events.headers["content-type"] == unknown.headers["content-type"]
                assert all(line.startswith(": ping") for line in quiet_for(events, 2))
        with stream(zs, alice_session, job) as own:
            assert contents(own.until("summary")) == ["25"]
        with stream(zs, zs.admin(), job) as admins:
            assert contents(admins.until("summary")) == ["25"]


def test_the_stream_pushes_the_stall_without_any_write(zs: ZStack, server_store):
    admin, api_id = zs.admin(), new_id()
    zs.set_config("progress", "stallTimeout", 1)
    write(server_store, api_id, 10)
    with stream(zs, admin, api_id) as events:
        summaries = [e for e in events.until("summary") if e.kind == "summary"]
        if not summaries[-1].data["summary"]["stalled"]:
            summaries = [e for e in events.until("summary", timeout=10) if e.kind == "summary"]
        assert summaries[-1].data["summary"]["stalled"] is True


def long_poll(zs: ZStack, session: str, api_id: str, query: str):
    return zs.http.get(f"/task-progresses/{api_id}?{query}", headers=oauth(session), timeout=90)


def test_a_long_poll_answers_as_soon_as_a_newer_record_exists(zs: ZStack, server_store):
    admin, api_id = zs.admin(), new_id()
    write(server_store, api_id, 10, step="first")
    now = long_poll(zs, admin, api_id, "waitForChangeAfter=0&timeoutSeconds=30").json()
    assert now["seq"] > 0 and [i["content"] for i in now["inventories"]] == ["10"]
    answered: dict = {}

    def poll() -> None:
        started = time.monotonic()
        response = long_poll(zs, admin, api_id, f"waitForChangeAfter={now['seq']}&timeoutSeconds=30&all=true")
        answered.update(body=response.json(), status=response.status_code, took=time.monotonic() - started)

    waiter = threading.Thread(target=poll)
    waiter.start()
    write(server_store, api_id, 70)
    waiter.join(30)
    assert answered["status"] == 200 and answered["took"] < 25, answered  # on the change, not the timeout
    body = answered["body"]
    assert body["seq"] > now["seq"] and body["summary"]["percent"] == 70
    assert [i["content"] for i in walk(body["inventories"])] == ["first", "10", "70"]


def test_a_long_poll_with_nothing_new_answers_at_its_timeout(zs: ZStack, server_store):
    admin, api_id = zs.admin(), new_id()
    write(server_store, api_id, 10)
    seq = long_poll(zs, admin, api_id, "waitForChangeAfter=0").json()["seq"]
    started = time.monotonic()
    body = long_poll(zs, admin, api_id, f"waitForChangeAfter={seq}&timeoutSeconds=1").json()
    assert time.monotonic() - started >= 1.0
    assert body["seq"] == seq and body["summary"]["finished"] is False


def test_a_long_poll_on_an_api_that_is_over_answers_at_once(zs: ZStack, server_store):
    admin, api_id = zs.admin(), new_id()
    write(server_store, api_id, 100, finish=True)
    seq = long_poll(zs, admin, api_id, "waitForChangeAfter=0").json()["seq"]
    started = time.monotonic()
    body = long_poll(zs, admin, api_id, f"waitForChangeAfter={seq}&timeoutSeconds=30").json()
    assert time.monotonic() - started < 20 and body["summary"]["finished"] is True


def test_a_long_poll_on_someone_elses_api_is_an_unknown_ones(zs: ZStack, server_store):
    from taskprogress import report
    from taskprogress.services.api_jobs import ApiJobs, JobRequest

    alice, bob = zs.create_account(), zs.create_account()
    alice_session, bob_session = zs.login(alice["name"], "secret"), zs.login(bob["name"], "secret")
    job = new_id()
    with ApiJobs(server_store).run_here(JobRequest(job, WORK, alice["uuid"], alice_session)):
        report(25)
        server_store.flush()
        started = time.monotonic()
        theirs = long_poll(zs, bob_session, job, "waitForChangeAfter=0&timeoutSeconds=1")
        unknown = long_poll(zs, bob_session, new_id(), "waitForChangeAfter=0&timeoutSeconds=1")
        assert time.monotonic() - started >= 2.0  # both waited for their timeout
        assert theirs.status_code == unknown.status_code == 200
        assert theirs.json() == unknown.json() == {"inventories": [], "seq": 0}
        own = long_poll(zs, alice_session, job, "waitForChangeAfter=0&timeoutSeconds=1").json()
        assert [i["content"] for i in own["inventories"]] == ["25"] and own["seq"] > 0


@pytest.mark.parametrize(
    ("query", "status", "text"),
    [
        ("waitForChangeAfter=abc", 400, "is not a number"),
        ("waitForChangeAfter=1&waitForChangeAfter=2", 400, "only one value is allowed"),
        ("waitForChangeAfter=-1", 503, "waitForChangeAfter must be"),
        ("waitForChangeAfter=1e40", 503, "waitForChangeAfter must be"),
        ("waitForChangeAfter=0&timeoutSeconds=0", 503, "timeoutSeconds must be 1 to 60"),
        ("waitForChangeAfter=0&timeoutSeconds=61", 503, "timeoutSeconds must be 1 to 60"),
        ("waitForChangeAfter=0&timeoutSeconds=x", 400, "is not a number"),
        ("timeoutSeconds=5", 503, "give waitForChangeAfter too"),
    ],
)
def test_long_poll_parameters_are_checked(zs: ZStack, query: str, status: int, text: str):
    response = long_poll(zs, zs.admin(), new_id(), query)
    assert response.status_code == status, response.text
    assert text in response.text
    if status == 503:
        assert response.json()["error"]["code"] == "SYS.1007"


@pytest.mark.parametrize(
    ("path", "headers", "status", "text"),
    [
        ("{api}/events?keepAliveSeconds=0", {}, 503, "keepAliveSeconds must be 1 to 300"),
        ("{api}/events?keepAliveSeconds=301", {}, 503, "keepAliveSeconds must be 1 to 300"),
        ("{api}/events", {"Last-Event-ID": "abc"}, 400, "is not an event id"),
        ("{api}/events", {"Last-Event-ID": "-1"}, 400, "is not an event id"),
        ("{api}/events", {"Last-Event-ID": "5-0"}, 400, "is not an event id"),
        ("not-an-api-id/events", {}, 503, "is not a valid uuid"),
        ("not-an-api-id?waitForChangeAfter=0", {}, 503, "is not a valid uuid"),
    ],
)
def test_stream_parameters_are_checked_before_it_starts(zs: ZStack, path: str, headers: dict, status: int, text: str):
    response = zs.http.get(f"/task-progresses/{path.format(api=new_id())}", headers={**oauth(zs.admin()), **headers})
    assert response.status_code == status, response.text
    assert text in response.text


def test_the_stream_needs_a_valid_session(zs: ZStack):
    url = f"/task-progresses/{new_id()}/events"
    assert zs.http.get(url).status_code == 400  # no Authorization: ZStack's plain-text refusal
    response = zs.http.get(url, headers=oauth(new_id()))
    assert response.status_code == 503 and response.json()["error"]["code"] == "ID.1001"


def test_get_task_progress_summary_has_rate_eta_and_stall(zs: ZStack, server_store):
    admin, api_id = zs.admin(), new_id()
    write(server_store, api_id, 10, 30, step="go")
    summary = zs.http.get(f"/task-progresses/{api_id}", headers=oauth(admin)).json()["summary"]
    assert summary["apiId"] == api_id and summary["taskName"] == WORK and summary["percent"] == 30
    assert summary["finished"] is False and summary["stalled"] is False
    assert summary["etaBasis"] in ("rate", "unknown") and "rate" in summary and "lastProgressAt" in summary
    assert "state" not in summary  # no API job
