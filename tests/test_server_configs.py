"""Global configuration over a real server: read by all, changed by admins, validated, effective at once."""

from __future__ import annotations

import pytest

from test_server_rest import failed, refused
from zstack import ZStack, oauth


def configs(zs: ZStack, session: str) -> dict[tuple[str, str], dict]:
    response = zs.http.get("/global-configurations", headers=oauth(session))
    assert response.status_code == 200
    return {(c["category"], c["name"]): c for c in response.json()["inventories"]}


def test_every_setting_is_listed_with_its_default(zs: ZStack):
    listed = configs(zs, zs.admin())
    expected = {
        ("progress", "on"): "true",
        ("progress", "ttl"): "86400",
        ("progress", "cleanupThreadInterval"): "300",
        ("progress", "deleteDelay"): "300",
        ("identity", "session.timeout"): "7200",
        ("identity", "session.maxConcurrent"): "500",
        ("identity", "session.cleanup.interval"): "3600",
        ("rest", "completedApi.expiredPeriod"): "10800",
        ("rest", "expiredApi.scanInterval"): "3600",
    }
    for key, default in expected.items():
        assert listed[key]["defaultValue"] == default
        assert set(listed[key]) == {"category", "name", "value", "defaultValue", "description"}


def test_an_admin_changes_a_setting_and_everyone_reads_it(zs: ZStack):
    account = zs.create_account()
    zs.set_config("progress", "ttl", 600)
    assert configs(zs, zs.login(account["name"], "secret"))[("progress", "ttl")]["value"] == "600"


def test_the_update_answers_the_new_inventory(zs: ZStack):
    admin = zs.admin()
    body = {"updateGlobalConfig": {"value": "TRUE"}}
    response = zs.call("PUT", "/global-configurations/progress/on/actions", admin, body, **{"X-JSON-Schema": "1"})
    assert response.status_code == 200
    assert response.json()["inventory"]["value"] == "true"
    assert response.json()["schema"] == {"inventory": "org.zstack.core.config.GlobalConfigInventory"}


def test_a_normal_account_cannot_change_settings(zs: ZStack):
    account = zs.create_account()
    session = zs.login(account["name"], "secret")
    body = {"updateGlobalConfig": {"value": 1}}
    failed(zs.call("PUT", "/global-configurations/progress/ttl/actions", session, body), "ID.1002")
    assert configs(zs, zs.admin())[("progress", "ttl")]["value"] == "86400"


@pytest.mark.parametrize(
    ("category", "name", "value"),
    [
        ("progress", "ttl", 0),
        ("progress", "ttl", "soon"),
        ("progress", "cleanupThreadInterval", 0),
        ("progress", "on", "maybe"),
        ("identity", "session.timeout", 0),
        ("identity", "session.maxConcurrent", -1),
        ("rest", "completedApi.expiredPeriod", 0),
        ("progress", "nosuch", 1),
        ("progress", "ttl", None),
        ("progress", "ttl", [1]),
    ],
)
def test_invalid_values_are_SYS_1007_and_change_nothing(zs: ZStack, category: str, name: str, value: object):
    admin = zs.admin()
    before = configs(zs, admin)
    body = {"updateGlobalConfig": {"value": value}}
    failed(zs.call("PUT", f"/global-configurations/{category}/{name}/actions", admin, body), "SYS.1007")
    assert configs(zs, admin) == before


def test_settings_need_a_session(zs: ZStack):
    refused(zs.http.get("/global-configurations"), 400, "missing header 'Authorization'")
