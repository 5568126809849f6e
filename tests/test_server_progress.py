"""GetTaskProgress over a real server: tenancy, the running-APIs list, and expiry after the API job finishes."""

from __future__ import annotations

from helpers import wait_until
from zstack import ZStack, new_id, oauth


def progress(zs: ZStack, session: str, api_id: str, query: str = "") -> dict:
    response = zs.http.get(f"/task-progresses/{api_id}{query}", headers=oauth(session))
    assert response.status_code == 200, response.text
    return response.json()


def report_into(server_store, api_id: str, *percents: float) -> None:
    from taskprogress import api, report, step

    with api(api_id, "org.example.APIWorkMsg", sink=server_store, finish=False):
        step("a step")
        for percent in percents:
            report(percent)


def test_an_account_sees_the_progress_of_its_own_api_jobs_only(zs: ZStack, server_store):
    alice, bob = zs.create_account(), zs.create_account()
    alice_session, bob_session = zs.login(alice["name"], "secret"), zs.login(bob["name"], "secret")
    job = new_id()
    response = zs.call("PUT", f"/accounts/sessions/{alice_session}/renew", alice_session, {}, **{"X-Job-UUID": job})
    assert response.status_code == 200
    report_into(server_store, job, 40)
    own = progress(zs, alice_session, job)
    assert [i["type"] for i in own["inventories"]] == ["Progress"]
    assert own["inventories"][0]["content"] == "40"
    assert own["summary"]["state"] == "succeeded" and own["summary"]["percent"] == 40
    assert len(progress(zs, alice_session, job, "?all=true")["inventories"]) == 2
    unknown = new_id()
    assert progress(zs, bob_session, job) == progress(zs, bob_session, unknown) == {"inventories": []}
    assert progress(zs, bob_session, job, "?all=true") == {"inventories": []}
    assert progress(zs, zs.admin(), job)["inventories"] == own["inventories"]  # an admin sees all


def test_progress_of_no_api_job_is_for_admins_only(zs: ZStack, server_store):
    api_id = new_id()
    report_into(server_store, api_id, 10)
    account = zs.create_account()
    assert progress(zs, zs.login(account["name"], "secret"), api_id) == {"inventories": []}
    assert [i["content"] for i in progress(zs, zs.admin(), api_id)["inventories"]] == ["10"]


def test_the_running_list_shows_the_callers_jobs_with_their_newest_progress(zs: ZStack, server_store):
    from taskprogress import report
    from taskprogress.services.api_jobs import ApiJobs, JobRequest

    alice, bob = zs.create_account(), zs.create_account()
    alice_session, bob_session = zs.login(alice["name"], "secret"), zs.login(bob["name"], "secret")
    job = new_id()

    def listed(session: str) -> list[dict]:
        response = zs.http.get("/task-progresses", headers={**oauth(session), "X-JSON-Schema": "1"})
        assert response.status_code == 200, response.text
        return [i for i in response.json()["inventories"] if i["apiId"] == job]

    with ApiJobs(server_store).run_here(JobRequest(job, "org.example.APILongMsg", alice["uuid"], alice_session)):
        report(30)
        server_store.flush()
        [item] = listed(alice_session)
        assert item["apiName"] == "org.example.APILongMsg" and item["percent"] == 30
        assert [p["content"] for p in item["progress"]] == ["30"]
        assert listed(bob_session) == []
        assert len(listed(zs.admin())) == 1
    assert listed(alice_session) == []  # finished: no longer running


def test_progress_expires_after_the_api_job_finishes_with_the_new_settings(zs: ZStack, server_store):
    """The completion of an API job schedules its progress for deletion; the cleanup loop picks up a new interval
    (the default is 300 s) and delay at once, without a restart."""
    admin = zs.admin()
    job = new_id()
    report_into(server_store, job, 20)
    server_store.flush()
    zs.set_config("progress", "deleteDelay", 0)
    zs.set_config("progress", "cleanupThreadInterval", 1)
    assert progress(zs, admin, job)["inventories"]
    response = zs.call("PUT", f"/accounts/sessions/{admin}/renew", admin, {}, **{"X-Job-UUID": job})
    assert response.status_code == 200
    wait_until(
        lambda: progress(zs, admin, job) == {"inventories": [], "summary": {"apiId": job, "state": "succeeded"}},
        timeout=15,
        interval=0.1,
    )
    assert progress(zs, admin, job, "?all=true")["inventories"] == []


def test_progress_off_records_nothing(zs: ZStack, server_store):
    api_id = new_id()
    zs.set_config("progress", "on", "false")
    wait_until(lambda: server_store.progress_enabled is False, timeout=5)  # the producer's cache: at most a second
    report_into(server_store, api_id, 50)
    assert progress(zs, zs.admin(), api_id) == {"inventories": []}
