"""Accounts and sessions over a real server: login, logout, validate, renew, expiry, limits, permissions."""

from __future__ import annotations

import time

from helpers import wait_until
from test_server_rest import failed, refused
from zstack import ZStack, new_id, oauth, sha512

ADMIN_UUID = "36c27e8ff05c4780bf6d2fa65700f22e"


def authenticated_call(zs: ZStack, session: str):
    return zs.http.get(f"/task-progresses/{new_id()}", headers=oauth(session))


def test_login_gives_a_session_inventory(zs: ZStack):
    response = zs.login_response("admin", "password")
    assert response.status_code == 200
    inventory = response.json()["inventory"]
    assert set(inventory) == {"uuid", "accountUuid", "userUuid", "expiredDate", "createDate"}
    assert inventory["accountUuid"] == inventory["userUuid"] == ADMIN_UUID
    assert len(inventory["uuid"]) == 32
    assert authenticated_call(zs, inventory["uuid"]).status_code == 200


def test_wrong_credentials_are_ID_1000(zs: ZStack):
    assert failed(zs.login_response("admin", "wrong"), "ID.1000")["details"] == "wrong account name or password"
    failed(zs.login_response("nobody", "password"), "ID.1000")
    plain = zs.http.put("/accounts/login", json={"logInByAccount": {"accountName": "admin", "password": "password"}})
    failed(plain, "ID.1000")  # the SDKs send the SHA-512 hex, never the password itself


def test_missing_login_fields_are_SYS_1007(zs: ZStack):
    for body in ({}, {"logInByAccount": {}}, {"logInByAccount": {"accountName": "admin"}}):
        error = failed(zs.http.put("/accounts/login", json=body), "SYS.1007")
        assert "is mandatory" in error["details"]
    failed(zs.http.put("/accounts/login", json={"logInByAccount": {"accountName": 5, "password": []}}), "SYS.1007")


def test_logout_ends_the_session_and_is_fine_for_unknown_ones(zs: ZStack):
    session = zs.login()
    assert zs.valid(session)
    response = zs.http.delete(f"/accounts/sessions/{session}")
    assert response.status_code == 200 and response.json() == {}
    assert not zs.valid(session)
    failed(authenticated_call(zs, session), "ID.1001")
    assert zs.http.delete(f"/accounts/sessions/{new_id()}").json() == {}
    assert zs.http.delete("/accounts/sessions/garbage").status_code == 200


def test_validate(zs: ZStack):
    assert zs.valid(zs.login())
    assert not zs.valid(new_id())
    assert not zs.valid("not-a-session")


def test_renew_is_async_and_sets_the_expiry(zs: ZStack):
    session = zs.login()
    response = zs.call("PUT", f"/accounts/sessions/{session}/renew", session, {"renewSession": {"duration": 60}})
    assert response.status_code == 200
    assert response.json()["inventory"]["uuid"] == session
    assert "schema" not in response.json()
    default = zs.call("PUT", f"/accounts/sessions/{session}/renew", session, {})
    assert default.status_code == 200 and default.json()["inventory"]["uuid"] == session


def test_renew_checks_its_duration_and_the_session(zs: ZStack):
    session = zs.login()
    for duration in (59, 31_536_001):
        body = {"renewSession": {"duration": duration}}
        failed(zs.call("PUT", f"/accounts/sessions/{session}/renew", session, body), "SYS.1007")
    headers = oauth(session)
    refused(
        zs.http.put(f"/accounts/sessions/{session}/renew", json={"renewSession": {"duration": "x"}}, headers=headers),
        400,
        "Invalid value for long field [duration]",
    )
    failed(zs.call("PUT", f"/accounts/sessions/{new_id()}/renew", session, {}), "ID.1001")


def test_a_renewal_outlives_the_session_timeout(zs: ZStack):
    zs.set_config("identity", "session.timeout", 2)
    renewed, plain = zs.login(), zs.login()
    body = {"renewSession": {"duration": 60}}
    assert zs.call("PUT", f"/accounts/sessions/{renewed}/renew", renewed, body).status_code == 200
    wait_until(lambda: not zs.valid(plain), timeout=15)
    assert zs.valid(renewed)


def test_sessions_expire_and_every_authenticated_call_slides_the_expiry(zs: ZStack):
    zs.set_config("identity", "session.timeout", 2)
    busy, idle = zs.login(), zs.login()
    deadline = time.monotonic() + 15
    while zs.valid(idle):  # the idle session runs out while the busy one keeps calling
        assert time.monotonic() < deadline, "the idle session never expired"
        assert authenticated_call(zs, busy).status_code == 200
        time.sleep(0.2)
    assert authenticated_call(zs, busy).status_code == 200
    error = failed(authenticated_call(zs, idle), "ID.1001")
    assert error["details"] == "Session expired"


def test_expired_sessions_are_swept(zs: ZStack, server):
    from taskprogress import Store

    zs.set_config("identity", "session.cleanup.interval", 1)
    zs.set_config("identity", "session.timeout", 1)
    session = zs.login()  # never used again: only the sweep can delete it

    def session_rows() -> int:
        with Store.open(server.database_url) as store, store.connect() as conn:
            return conn.exec_driver_sql(f"SELECT count(*) FROM account_session WHERE uuid = '{session}'").scalar()

    assert session_rows() == 1
    wait_until(lambda: session_rows() == 0, timeout=15, interval=0.2)


def test_max_concurrent_sessions_is_ID_1006(zs: ZStack):
    account = zs.create_account()
    zs.set_config("identity", "session.maxConcurrent", 2)
    first, _second = zs.login(account["name"], "secret"), zs.login(account["name"], "secret")
    error = failed(zs.login_response(account["name"], "secret"), "ID.1006")
    assert "max allowed concurrent login sessions" in error["details"]
    zs.http.delete(f"/accounts/sessions/{first}")
    assert zs.login_response(account["name"], "secret").status_code == 200


# -- accounts ------------------------------------------------------------------------------------------------


def test_an_admin_creates_accounts_that_can_log_in(zs: ZStack):
    name = f"alice-{new_id()[:6]}"
    body = {"params": {"name": name, "password": sha512("pw"), "type": "Normal", "description": "a tester"}}
    response = zs.call("POST", "/accounts", zs.admin(), body, **{"X-JSON-Schema": "true"})
    assert response.status_code == 200
    inventory = response.json()["inventory"]
    assert inventory["name"] == name and inventory["type"] == "Normal" and inventory["description"] == "a tester"
    assert response.json()["schema"] == {"inventory": "org.zstack.header.identity.AccountInventory"}
    session = zs.login(name, "pw")
    plain = {"logInByAccount": {"accountName": name, "password": "pw"}}
    assert zs.http.put("/accounts/login", json=plain).status_code == 503
    assert authenticated_call(zs, session).status_code == 200


def test_account_creation_is_validated(zs: ZStack):
    admin = zs.admin()
    taken = zs.create_account()["name"]
    for params in (
        {"name": taken, "password": "x"},
        {"password": "x"},
        {"name": "n"},
        {"name": "n", "password": "x", "type": "Root"},
    ):
        failed(zs.call("POST", "/accounts", admin, {"params": params}), "SYS.1007")


def test_passwords_are_stored_salted_and_slow(zs: ZStack, server):
    from taskprogress import Store

    account = zs.create_account(password="topsecret")
    with Store.open(server.database_url) as store, store.connect() as conn:
        stored = conn.exec_driver_sql(f"SELECT password_hash FROM account WHERE uuid = '{account['uuid']}'").scalar()
    assert stored.startswith("scrypt$") and sha512("topsecret") not in stored


def test_only_an_admin_creates_or_deletes_accounts(zs: ZStack):
    account = zs.create_account()
    session = zs.login(account["name"], "secret")
    body = {"params": {"name": f"x-{new_id()[:6]}", "password": "x"}}
    failed(zs.call("POST", "/accounts", session, body), "ID.1002")
    failed(zs.call("DELETE", f"/accounts/{account['uuid']}", session), "ID.1002")
    failed(zs.call("PUT", f"/accounts/{ADMIN_UUID}/actions", session, {"updateAccount": {"password": "x"}}), "ID.1002")


def test_query_accounts_shows_a_normal_account_only_itself(zs: ZStack):
    account = zs.create_account()
    session = zs.login(account["name"], "secret")
    own = zs.http.get("/accounts", headers=oauth(session)).json()
    assert [a["uuid"] for a in own["inventories"]] == [account["uuid"]]
    assert own["schema"] == {"inventories[0]": "org.zstack.header.identity.AccountInventory"}
    assert zs.http.get(f"/accounts/{ADMIN_UUID}", headers=oauth(session)).json()["inventories"] == []
    everyone = zs.http.get("/accounts", headers=oauth(zs.admin())).json()["inventories"]
    assert {ADMIN_UUID, account["uuid"]} <= {a["uuid"] for a in everyone}
    one = zs.http.get(f"/accounts/{account['uuid']}", headers=oauth(zs.admin())).json()["inventories"]
    assert [a["name"] for a in one] == [account["name"]]


def test_an_account_updates_its_own_password_and_name(zs: ZStack):
    account = zs.create_account()
    session = zs.login(account["name"], "secret")
    new_name = f"renamed-{new_id()[:6]}"
    body = {"updateAccount": {"password": sha512("newpw"), "name": new_name}}
    response = zs.call("PUT", f"/accounts/{account['uuid']}/actions", session, body)
    assert response.status_code == 200 and response.json()["inventory"]["name"] == new_name
    failed(zs.login_response(new_name, "secret"), "ID.1000")
    assert zs.login_response(new_name, "newpw").status_code == 200
    taken = {"updateAccount": {"name": "admin"}}
    failed(zs.call("PUT", f"/accounts/{account['uuid']}/actions", session, taken), "SYS.1007")


def test_deleting_an_account_ends_its_sessions(zs: ZStack):
    account = zs.create_account()
    session = zs.login(account["name"], "secret")
    response = zs.call("DELETE", f"/accounts/{account['uuid']}", zs.admin())
    assert response.status_code == 200 and response.json() == {}
    failed(authenticated_call(zs, session), "ID.1001")
    failed(zs.login_response(account["name"], "secret"), "ID.1000")
    assert zs.call("DELETE", f"/accounts/{new_id()}", zs.admin()).status_code == 200  # unknown: fine, as ZStack
    failed(zs.call("DELETE", f"/accounts/{ADMIN_UUID}", zs.admin()), "SYS.1007")
