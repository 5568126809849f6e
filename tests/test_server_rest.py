"""ZStack's REST conventions over a real server: envelopes, plain-text refusals, query strings, schema maps."""

from __future__ import annotations

import re

import httpx
import pytest

from zstack import ZStack, new_id, oauth, sha512

TEXT = "text/plain; charset=utf-8"
JSON = "application/json; charset=utf-8"
ZSTACK_DATE = re.compile(r"[A-Z][a-z]{2} [0-9]{1,2}, [0-9]{4} [0-9]{1,2}:[0-9]{2}:[0-9]{2} (AM|PM)")


def refused(response: httpx.Response, status: int, text: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == TEXT
    assert text in response.text


def failed(response: httpx.Response, code: str) -> dict:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == JSON
    error = response.json()["error"]
    assert error["code"] == code
    assert error["description"] and error["details"]
    return error


# -- routing ---------------------------------------------------------------------------------------------


def test_an_unknown_path_is_a_plain_text_404(zs: ZStack):
    refused(zs.http.get("/no-such-things"), 404, "no api mapping to /v1/no-such-things")
    refused(zs.http.get("/task-progresses/"), 404, "no api mapping to /v1/task-progresses/")


def test_a_method_no_api_has_on_a_path_is_a_plain_text_405(zs: ZStack):
    refused(zs.http.patch("/accounts"), 405, "The method[PATCH] is not allowed for the path[/v1/accounts]")
    refused(zs.http.post(f"/task-progresses/{new_id()}"), 405, "The method[POST] is not allowed")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_only_get_may_poll_a_job(zs: ZStack, method: str):
    refused(zs.http.request(method, f"/api-jobs/{new_id()}"), 405, "only GET method is allowed for querying job status")


def test_routes_also_answer_without_the_zstack_context_path(zs: ZStack):
    bare = httpx.put(
        f"{zs.base_url}/v1/accounts/login",
        json={"logInByAccount": {"accountName": "admin", "password": sha512("password")}},
    )
    assert bare.status_code == 200
    session = bare.json()["inventory"]["uuid"]
    response = httpx.get(f"{zs.base_url}/v1/task-progresses/{new_id()}", headers=oauth(session))
    assert response.status_code == 200 and response.json()["inventories"] == []


# -- sessions on the wire --------------------------------------------------------------------------------


def test_authorization_must_be_there_and_oauth(zs: ZStack):
    path = f"/task-progresses/{new_id()}"
    refused(zs.http.get(path), 400, "missing header 'Authorization'")
    refused(zs.http.get(path, headers={"Authorization": "Bearer x"}), 400, "Authorization type must be 'OAuth'")
    refused(zs.http.get(path, headers={"Authorization": "ZStack id:sig"}), 400, "not supported")


@pytest.mark.parametrize("session", ["", "nonsense", new_id(), "x" * 300])
def test_a_bad_session_is_503_ID_1001_never_401(zs: ZStack, session: str):
    failed(
        zs.http.get(f"/task-progresses/{new_id()}", headers={"Authorization": f"OAuth {session}".strip()}), "ID.1001"
    )
    failed(zs.http.get("/accounts", headers={"Authorization": f"OAuth {session}".strip()}), "ID.1001")


# -- headers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("job_uuid", ["short", "x" * 33, "6f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"])
def test_x_job_uuid_must_have_32_characters(zs: ZStack, job_uuid: str):
    response = zs.http.get(f"/task-progresses/{new_id()}", headers={**oauth(zs.admin()), "X-Job-UUID": job_uuid})
    refused(response, 400, "Invalid header[X-Job-UUID], it must be a UUID with '-' stripped")


def test_a_duplicate_job_uuid_is_refused_on_post_put_delete_and_changes_nothing(zs: ZStack):
    admin = zs.admin()
    job = new_id()
    first = zs.call(
        "PUT", f"/accounts/sessions/{admin}/renew", admin, {"renewSession": {"duration": 600}}, **{"X-Job-UUID": job}
    )
    assert first.status_code == 200
    name = f"dup-{new_id()[:8]}"
    again = {"X-Job-UUID": job, **oauth(admin)}
    create = {"params": {"name": name, "password": sha512("x")}}
    refused(zs.http.post("/accounts", json=create, headers=again), 400, f"Duplicate job uuid[{job}]")
    refused(zs.http.put(f"/accounts/sessions/{admin}/renew", json={}, headers=again), 400, "Duplicate job uuid")
    refused(zs.http.delete(f"/accounts/{new_id()}", headers=again), 400, "Duplicate job uuid")
    refused(zs.http.put("/accounts/login", json={}, headers=again), 400, "Duplicate job uuid")
    accounts = zs.http.get("/accounts", headers=oauth(admin)).json()["inventories"]
    assert name not in [a["name"] for a in accounts]
    assert zs.poll(f"{zs.base_url}/zstack/v1/api-jobs/{job}", admin).json() == first.json()


def test_bad_api_timeout_and_webhook_headers_are_refused(zs: ZStack):
    admin = zs.admin()
    path = f"/accounts/sessions/{admin}/renew"
    for bad in ("soon", "0", "-5"):
        refused(zs.http.put(path, headers={**oauth(admin), "X-API-Timeout": bad}), 400, "Invalid header[X-API-Timeout]")
    refused(zs.http.put(path, headers={**oauth(admin), "X-Web-Hook": "ftp://x"}), 400, "Invalid header[X-Web-Hook]")


# -- bodies ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{", b"not json", b'{"logInByAccount": ', b"[1, 2]", b'"text"'])
def test_a_malformed_body_is_a_plain_text_400(zs: ZStack, body: bytes):
    response = zs.http.put("/accounts/login", content=body)
    assert response.status_code == 400 and response.headers["content-type"] == TEXT


def test_a_refused_body_changes_nothing(zs: ZStack):
    admin = zs.admin()
    name = f"never-{new_id()[:8]}"
    response = zs.http.post("/accounts", content=f'{{"params": {{"name": "{name}"'.encode(), headers=oauth(admin))
    assert response.status_code == 400
    assert name not in [a["name"] for a in zs.http.get("/accounts", headers=oauth(admin)).json()["inventories"]]


def test_a_shared_action_path_needs_its_action_key(zs: ZStack):
    admin = zs.admin()
    response = zs.http.put("/global-configurations/progress/ttl/actions", json={"value": 5}, headers=oauth(admin))
    refused(response, 400, "the body doesn't contain action mapping to the URL[/v1/global-configurations/progress/ttl")
    response = zs.http.put(f"/accounts/{new_id()}/actions", json={"wrong": {}}, headers=oauth(admin))
    refused(response, 400, "the body doesn't contain action mapping")


def test_the_action_value_must_be_an_object(zs: ZStack):
    refused(zs.http.put("/accounts/login", json={"logInByAccount": "admin"}), 400, "must be a JSON object")


# -- query strings -----------------------------------------------------------------------------------------


def test_booleans_are_case_insensitive_and_anything_else_is_false(zs: ZStack, server):
    from taskprogress import Store, api, report, subtask
    from taskprogress.services.api_jobs import ApiJobs, JobRequest

    admin = zs.admin()
    api_id = new_id()
    with Store.open(server.database_url) as store, ApiJobs(store).run_here(JobRequest(api_id, "T", None, "t")):
        with api(api_id, "T", sink=store, finish=False):
            report(10)
            with subtask("sub"):
                report(50)
    path = f"/task-progresses/{api_id}"

    def count(query: str) -> int:
        response = zs.http.get(f"{path}?{query}", headers=oauth(admin))
        assert response.status_code == 200, response.text
        return len(response.json()["inventories"])

    assert count("all=true") == count("all=True") == count("all=TRUE") == 2  # the roots: report 10 and the sub-task
    assert count("all=false") == count("all=yes") == count("all=1") == count("") == 2  # the sub-task and its report
    newest = zs.http.get(path, headers=oauth(admin)).json()["inventories"]
    assert [n["type"] for n in newest] == ["Task", "Progress"]
    whole = zs.http.get(f"{path}?all=True", headers=oauth(admin)).json()["inventories"]
    assert [n["type"] for n in whole] == ["Progress", "Task"] and whole[1]["subTasks"][0]["content"] == "50"


def test_a_scalar_parameter_given_twice_is_a_400(zs: ZStack):
    response = zs.http.get(f"/task-progresses/{new_id()}?all=true&all=false", headers=oauth(zs.admin()))
    refused(response, 400, "Invalid query parameter[all], only one value is allowed")


def test_the_python_sdk_query_string_is_accepted(zs: ZStack):
    """zssdk.py: sessionId and the path variable in the query, unencoded, lists as Python reprs, X-Job-UUID = apiId."""
    admin = zs.admin()
    api_id = new_id()
    raw = f"/task-progresses/{api_id}?apiId={api_id}&sessionId={admin}&all=True&systemTags=['a', 'b']&userTags=[]"
    response = zs.http.get(raw, headers={**oauth(admin), "X-Job-UUID": api_id, "Connection": "close"})
    assert response.status_code == 200 and response.json() == {"inventories": []}


def test_lists_repeated_or_indexed_and_unknown_parameters_are_accepted(zs: ZStack):
    admin = zs.admin()
    for query in ("systemTags=a&systemTags=b", "systemTags.0=a&systemTags.1=b", "whatever=1&foo", "userTags.x=1"):
        response = zs.http.get(f"/task-progresses/{new_id()}?{query}", headers=oauth(admin))
        assert response.status_code == 200 and response.json() == {"inventories": []}


def test_zstack_query_conditions(zs: ZStack):
    headers = oauth(zs.admin())
    configs = zs.http.get("/global-configurations", params={"q": "category=progress"}, headers=headers).json()
    assert {c["name"] for c in configs["inventories"]} == {
        "on",
        "ttl",
        "cleanupThreadInterval",
        "deleteDelay",
        "stallTimeout",
        "rateWindow",
    }
    assert set(configs["schema"].values()) == {"org.zstack.core.config.GlobalConfigInventory"}
    both = zs.http.get(
        "/global-configurations", params=[("q", "category=progress"), ("q", "name?=ttl,on")], headers=headers
    ).json()["inventories"]
    assert {c["name"] for c in both} == {"ttl", "on"}
    like = zs.http.get("/global-configurations", params={"q": "name~=session.%"}, headers=headers).json()
    assert {c["name"] for c in like["inventories"]} >= {"session.timeout", "session.maxConcurrent"}
    counted = zs.http.get("/global-configurations", params={"q": "category=progress", "count": "true"}, headers=headers)
    assert counted.json()["total"] == 6 and "inventories" not in counted.json()
    page = zs.http.get(
        "/global-configurations",
        params={"q": "category=progress", "sort": "-name", "limit": "2", "start": "1", "replyWithCount": "true"},
        headers=headers,
    ).json()
    assert [c["name"] for c in page["inventories"]] == ["stallTimeout", "rateWindow"] and page["total"] == 6
    refused(zs.http.get("/global-configurations", params={"q": "category"}, headers=headers), 400, "query operator")
    refused(zs.http.get("/global-configurations", params={"limit": "many"}, headers=headers), 400, "limit")
    failed(zs.http.get("/global-configurations", params={"q": "nosuch=1"}, headers=headers), "SYS.1007")


# -- GetTaskProgress replies -------------------------------------------------------------------------------


def test_a_malformed_api_id_is_503_SYS_1007(zs: ZStack):
    for bad in ("not-a-uuid", "A" * 32, "6f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"):
        error = failed(zs.http.get(f"/task-progresses/{bad}", headers=oauth(zs.admin())), "SYS.1007")
        assert error["details"] == f"parameter apiId[{bad}] is not a valid uuid."


def test_x_json_schema_adds_the_class_map_with_nested_sub_tasks(zs: ZStack, server):
    from taskprogress import Store, api, report, subtask

    api_id = new_id()
    with Store.open(server.database_url) as store, api(api_id, "T", sink=store, finish=False):
        with subtask("outer"):
            with subtask("inner"):
                report(30)
    headers = {**oauth(zs.admin()), "X-JSON-Schema": "true"}
    whole = zs.http.get(f"/task-progresses/{api_id}?all=true", headers=headers).json()
    cls = "org.zstack.header.core.progress.TaskProgressInventory"
    assert whole["schema"] == {
        "inventories[0]": cls,
        "inventories[0].subTasks[0]": cls,
        "inventories[0].subTasks[0].subTasks[0]": cls,
    }
    newest = zs.http.get(f"/task-progresses/{api_id}", headers=headers).json()
    assert newest["schema"] == {f"inventories[{i}]": cls for i in range(3)}
    assert "schema" not in zs.http.get(f"/task-progresses/{api_id}", headers=oauth(zs.admin())).json()


def test_success_is_200_json_with_zstack_dates(zs: ZStack):
    response = zs.login_response("admin", "password", **{"X-JSON-Schema": "1"})
    assert response.status_code == 200 and response.headers["content-type"] == JSON
    inventory = response.json()["inventory"]
    assert ZSTACK_DATE.fullmatch(inventory["createDate"]) and ZSTACK_DATE.fullmatch(inventory["expiredDate"])
    assert response.json()["schema"] == {"inventory": "org.zstack.header.identity.SessionInventory"}


# -- the OpenAPI document ----------------------------------------------------------------------------------


def test_the_openapi_document_lists_every_route_without_422(zs: ZStack):
    document = httpx.get(f"{zs.base_url}/zstack/openapi.json").json()
    paths = document["paths"]
    expected = {
        "/zstack/v1/accounts/login": {"put"},
        "/zstack/v1/accounts/sessions/{sessionUuid}": {"delete"},
        "/zstack/v1/accounts/sessions/{sessionUuid}/valid": {"get"},
        "/zstack/v1/accounts/sessions/{sessionUuid}/renew": {"put"},
        "/zstack/v1/accounts": {"get", "post"},
        "/zstack/v1/accounts/{uuid}": {"get", "delete"},
        "/zstack/v1/accounts/{uuid}/actions": {"put"},
        "/zstack/v1/task-progresses/{apiId}": {"get"},
        "/zstack/v1/task-progresses": {"get"},
        "/zstack/v1/global-configurations": {"get"},
        "/zstack/v1/global-configurations/{category}/{name}/actions": {"put"},
        "/zstack/v1/api-jobs/{uuid}": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods
        assert set(paths[path.removeprefix("/zstack")]) == methods
    for operations in paths.values():
        for operation in operations.values():
            assert "422" not in operation["responses"]
            assert "400" in operation["responses"]
    progress = paths["/zstack/v1/task-progresses/{apiId}"]["get"]
    assert {p["name"] for p in progress["parameters"]} >= {"apiId", "all", "Authorization", "X-Job-UUID"}
