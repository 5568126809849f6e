"""Service objects as ZStack inventories, and the ``schema`` map the Java SDK needs to type them.

``schema`` maps a JSON path (``inventory``, ``inventories[0]``, ``inventories[0].subTasks[1]``) to the server-side
Java class of the object there (ZStack's ``JsonSchemaBuilder``); without it the Java SDK hands out plain maps.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from taskprogress.rest.wire import json_response, zstack_date
from taskprogress.services.identity import AccountInfo, SessionInfo
from taskprogress.services.progress import RunningApi

TASK_PROGRESS_CLASS = "org.zstack.header.core.progress.TaskProgressInventory"
SESSION_CLASS = "org.zstack.header.identity.SessionInventory"
ACCOUNT_CLASS = "org.zstack.header.identity.AccountInventory"
GLOBAL_CONFIG_CLASS = "org.zstack.core.config.GlobalConfigInventory"

ACCOUNT_FIELDS = frozenset({"uuid", "name", "type", "description", "createDate", "lastOpDate"})
GLOBAL_CONFIG_FIELDS = frozenset({"category", "name", "value", "defaultValue", "description"})


def session_inventory(session: SessionInfo) -> dict[str, Any]:
    return {
        "uuid": session.uuid,
        "accountUuid": session.account_uuid,
        "userUuid": session.account_uuid,  # an account login: ZStack sets userUuid to the account's uuid
        "expiredDate": zstack_date(session.expired_at),
        "createDate": zstack_date(session.created_at),
    }


def account_inventory(account: AccountInfo) -> dict[str, Any]:
    inventory = {
        "uuid": account.uuid,
        "name": account.name,
        "type": account.type,
        "createDate": zstack_date(account.created_at),
        "lastOpDate": zstack_date(account.updated_at),
    }
    if account.description is not None:
        inventory["description"] = account.description
    return inventory


def global_config_inventory(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in ("category", "name", "value", "defaultValue", "description")}


def running_api_inventory(api: RunningApi) -> dict[str, Any]:
    inventory: dict[str, Any] = {
        "apiId": api.api_id,
        "apiName": api.api_name,
        "createDate": zstack_date(api.created_at),
    }
    if api.account_uuid is not None:
        inventory["accountUuid"] = api.account_uuid
    if api.percent is not None:
        inventory["percent"] = api.percent
    if api.last_progress_at is not None:
        inventory["lastProgressTime"] = api.last_progress_at
    inventory["progress"] = api.newest
    return inventory


def schema_map(value: Any, class_name: str, path: str, children: str | None = None) -> dict[str, str]:
    """Every object under ``path`` (an object or a list of them) is a ``class_name``; so is every object in their
    ``children`` lists, recursively (``subTasks`` of a task progress)."""
    schema: dict[str, str] = {}
    _walk(value, class_name, path, children, schema)
    return schema


def _walk(value: Any, class_name: str, path: str, children: str | None, schema: dict[str, str]) -> None:
    if isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, class_name, f"{path}[{i}]", children, schema)
    elif isinstance(value, dict):
        schema[path] = class_name
        if children is not None and children in value:
            _walk(value[children], class_name, f"{path}.{children}", children, schema)


def query_reply(inventories: list[dict[str, Any]] | None, total: int | None, class_name: str) -> Response:
    """A ZStack query reply: ``inventories`` (unless only counted), ``total`` when asked, and always ``schema``."""
    reply: dict[str, Any] = {}
    if inventories is not None:
        reply["inventories"] = inventories
    if total is not None:
        reply["total"] = total
    reply["schema"] = schema_map(inventories or [], class_name, "inventories")
    return json_response(reply)
