"""Async API jobs over a real server: 202 + location, polling, results kept then expired, owners, webhooks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers import wait_until
from test_server_rest import failed, refused
from zstack import ZStack, new_id, oauth


def renew(zs: ZStack, session: str, **headers: str):
    return zs.submit("PUT", f"/accounts/sessions/{session}/renew", session, {"renewSession": {}}, **headers)


def test_an_async_api_answers_202_with_the_location_the_client_can_reach(zs: ZStack):
    admin = zs.admin()
    job = new_id()
    accepted = renew(zs, admin, **{"X-Job-UUID": job})
    host = zs.base_url.removeprefix("http://")
    assert accepted.json() == {"location": f"http://{host}/zstack/v1/api-jobs/{job}", "apiTimeout": 1_800_000}
    assert zs.poll(accepted.json()["location"], admin).status_code == 200
    other = renew(zs, admin, **{"Host": "example.test:1234", "X-API-Timeout": "60"}).json()
    assert (
        other["location"].startswith("http://example.test:1234/zstack/v1/api-jobs/") and other["apiTimeout"] == 60_000
    )
    assert len(other["location"].rsplit("/", 1)[1]) == 32


def test_a_job_is_202_while_running_then_its_result_stays_readable(zs: ZStack, server):
    from taskprogress import Store
    from taskprogress.services.api_jobs import ApiJobs, JobRequest

    account = zs.create_account()
    session = zs.login(account["name"], "secret")
    job = new_id()
    location = f"/api-jobs/{job}"
    with Store.open(server.database_url) as store:
        with ApiJobs(store).run_here(JobRequest(job, "org.example.APILongMsg", account["uuid"], session)):
            running = zs.http.get(location, headers=oauth(session))
            assert running.status_code == 202 and running.json() == {}
    for _ in range(2):
        done = zs.http.get(location, headers=oauth(session))
        assert done.status_code == 200 and done.json() == {}


def test_a_failed_job_is_503_with_its_error(zs: ZStack):
    admin = zs.admin()
    response = zs.call("PUT", f"/accounts/sessions/{admin}/renew", admin, {"renewSession": {"duration": 1}})
    assert "duration" in failed(response, "SYS.1007")["details"]


def test_unknown_and_expired_jobs_are_a_plain_text_404(zs: ZStack):
    admin = zs.admin()
    refused(zs.http.get(f"/api-jobs/{new_id()}", headers=oauth(admin)), 404, "the job has been expired")
    location = renew(zs, admin).json()["location"]
    assert zs.poll(location, admin).status_code == 200
    zs.set_config("rest", "completedApi.expiredPeriod", 1)
    wait_until(lambda: zs.http.get(location, headers=oauth(admin)).status_code == 404, timeout=15, interval=0.1)
    refused(zs.http.get(location, headers=oauth(admin)), 404, "the job has been expired")


def test_expired_job_results_are_swept(zs: ZStack, server):
    from taskprogress import Store

    admin = zs.admin()
    job = new_id()
    assert zs.poll(renew(zs, admin, **{"X-Job-UUID": job}).json()["location"], admin).status_code == 200
    zs.set_config("rest", "completedApi.expiredPeriod", 1)
    zs.set_config("rest", "expiredApi.scanInterval", 1)

    def job_rows() -> int:
        with Store.open(server.database_url) as store, store.connect() as conn:
            return conn.exec_driver_sql(f"SELECT count(*) FROM api_job WHERE id = '{job}'").scalar()

    wait_until(lambda: job_rows() == 0, timeout=15, interval=0.2)


def test_polling_needs_a_session_of_the_account_that_started_the_job(zs: ZStack):
    admin = zs.admin()
    location = renew(zs, admin).json()["location"]
    assert zs.poll(location, admin).status_code == 200
    stranger = zs.create_account()
    refused(zs.http.get(location, headers=oauth(zs.login(stranger["name"], "secret"))), 404, "expired")
    refused(zs.http.get(location), 400, "missing header 'Authorization'")
    failed(zs.http.get(location, headers=oauth(new_id())), "ID.1001")
    assert zs.http.get(location, headers=oauth(zs.login())).status_code == 200  # another session, same account


def test_an_async_api_with_an_invalid_session_is_accepted_and_fails_with_ID_1001(zs: ZStack):
    bogus = new_id()
    accepted = zs.http.put(f"/accounts/sessions/{bogus}/renew", json={}, headers=oauth(bogus))
    assert accepted.status_code == 202
    location = accepted.json()["location"]
    failed(zs.http.get(location, headers=oauth(bogus)), "ID.1001")
    refused(zs.http.get(location, headers=oauth(zs.admin())), 404, "expired")  # nobody else reads it


# -- webhooks ----------------------------------------------------------------------------------------------


class Receiver:
    """A local webhook receiver that answers 500 to the first ``failures`` deliveries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[int, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if len(receiver.received) < receiver.failures else 200
                receiver.received.append((status, dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def delivered(self) -> list[tuple[int, dict[str, str], bytes]]:
        return [r for r in self.received if r[0] == 200]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=2)
    try:
        yield r
    finally:
        r.httpd.shutdown()
        r.httpd.server_close()


def test_the_webhook_gets_the_result_retried_until_it_is_taken(zs: ZStack, receiver: Receiver):
    admin = zs.admin()
    job = new_id()
    location = renew(zs, admin, **{"X-Job-UUID": job, "X-Web-Hook": receiver.url}).json()["location"]
    [(_status, headers, body)] = wait_until(receiver.delivered, timeout=20)
    assert len(receiver.received) == 3  # two refusals, then the delivery
    assert headers["X-Job-UUID"] == job and headers["X-Job-Success"] == "true"
    assert headers["Content-Type"].startswith("application/json")
    assert body == zs.poll(location, admin).content  # the same JSON as the job URL


def test_the_webhook_of_a_failed_job_says_so(zs: ZStack, receiver: Receiver):
    receiver.failures = 0
    admin = zs.admin()
    body = {"renewSession": {"duration": 1}}
    zs.submit("PUT", f"/accounts/sessions/{admin}/renew", admin, body, **{"X-Web-Hook": receiver.url})
    [(_status, headers, payload)] = wait_until(receiver.delivered, timeout=20)
    assert headers["X-Job-Success"] == "false" and b'"SYS.1007"' in payload
