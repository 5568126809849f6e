"""OpenAPI fragments: parameters are parsed by hand (ZStack's way), so they are documented here, truthfully."""

from __future__ import annotations

from typing import Any

from taskprogress.jobs import LongJobState
from taskprogress.rest.inventories import ACCOUNT_CLASS, GLOBAL_CONFIG_CLASS, SESSION_CLASS, TASK_PROGRESS_CLASS
from taskprogress.rest.long_job_inventory import LONG_JOB_CLASS, LONG_JOB_FIELDS

TEXT = {"text/plain": {"schema": {"type": "string"}}}


def header(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "schema": {"type": "string"},
        "description": description,
    }


def query(name: str, description: str, *, array: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": {"type": "string"}} if array else {"type": "string"}
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


AUTHORIZATION = header("Authorization", "`OAuth <session uuid>` (from a login)", required=True)
JOB_UUID = header("X-Job-UUID", "the client's id for this API call: exactly 32 characters; it becomes the apiId")
JSON_SCHEMA = header("X-JSON-Schema", "when present, a 200 body also carries the `schema` map (Java SDK)")
WEB_HOOK = header("X-Web-Hook", "async APIs: an http(s) URL the final result is POSTed to")
API_TIMEOUT = header("X-API-Timeout", "async APIs: the API timeout in seconds (1 to 31536000)")
ASYNC_HEADERS = (AUTHORIZATION, JOB_UUID, JSON_SCHEMA, WEB_HOOK, API_TIMEOUT)  # what every async API takes
TAGS = [
    query("systemTags", "accepted and ignored; repeated, indexed (`systemTags.0`) or a Python list repr", array=True),
    query("userTags", "accepted and ignored, like systemTags", array=True),
]
ZSTACK_QUERY = [
    query("q", "conditions `<field><op><value>`, ops != >= <= !?= !~= ~= ?= = > < 'is null' 'not null'", array=True),
    query("limit", "at most this many (a number)"),
    query("start", "skip this many (a number)"),
    query("sort", "`[+|-]<field>`"),
    query("count", "`true`: only the total"),
    query("replyWithCount", "`true`: the total beside the inventories"),
    query("fields", "comma-separated fields to keep"),
]


def extra(*parameters: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    """``openapi_extra`` of a route: its hand-parsed parameters and body."""
    result: dict[str, Any] = {"parameters": list(parameters)}
    if body is not None:
        result["requestBody"] = body
    return result


def action_body(key: str, properties: dict[str, Any], *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A ZStack request body: ``{<key>: {fields}}``, with ``systemTags``/``userTags`` allowed beside the key."""
    params: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        params["required"] = list(required)
    return {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        key: params,
                        "systemTags": {"type": "array", "items": {"type": "string"}},
                        "userTags": {"type": "array", "items": {"type": "string"}},
                    },
                }
            }
        },
    }


STRING = {"type": "string"}
ERROR_CODE = {
    "type": "object",
    "properties": {"code": STRING, "description": STRING, "details": STRING},
    "required": ["code"],
}
ERROR_BODY = {"type": "object", "properties": {"error": ERROR_CODE}, "required": ["error"]}
SCHEMA_MAP = {"type": "object", "additionalProperties": STRING}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def inventory_schema(class_name: str) -> dict[str, Any]:
    fields = {
        TASK_PROGRESS_CLASS: {
            "taskUuid": STRING,
            "taskName": STRING,
            "parentUuid": STRING,
            "type": {"type": "string", "enum": ["Task", "Progress"]},
            "content": STRING,
            "arguments": STRING,
            "opaque": {"type": "object"},
            "time": {"type": "integer"},
            "subTasks": {"type": "array", "items": {"type": "object"}},
            "totalSteps": {"type": "integer"},
            "currentStep": {"type": "integer"},
        },
        SESSION_CLASS: {k: STRING for k in ("uuid", "accountUuid", "userUuid", "expiredDate", "createDate")},
        ACCOUNT_CLASS: {k: STRING for k in ("uuid", "name", "type", "description", "createDate", "lastOpDate")},
        GLOBAL_CONFIG_CLASS: {k: STRING for k in ("category", "name", "value", "defaultValue", "description")},
        LONG_JOB_CLASS: {
            **{k: STRING for k in sorted(LONG_JOB_FIELDS - {"state", "executeTime"})},
            "state": {"type": "string", "enum": [state.value for state in LongJobState]},
            "executeTime": {"type": "integer", "description": "seconds from createDate to the first final state"},
        },
    }[class_name]
    return {"type": "object", "properties": fields, "description": class_name}


def ok(description: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": _json({"type": "object", "properties": properties})}


def one(class_name: str) -> dict[str, Any]:
    return {"inventory": inventory_schema(class_name), "schema": SCHEMA_MAP}


def many(class_name: str) -> dict[str, Any]:
    return {
        "inventories": {"type": "array", "items": inventory_schema(class_name)},
        "total": {"type": "integer"},
        "schema": SCHEMA_MAP,
    }


REFUSED = {"description": "refused before the API ran (ZStack's RestException): plain text", "content": TEXT}
FAILED = {"description": "the API failed (ZStack ErrorCode), authentication included", "content": _json(ERROR_BODY)}
ACCEPTED = ok(
    "async API accepted: poll `location` (GET /zstack/v1/api-jobs/{uuid})",
    {"location": STRING, "apiTimeout": {"type": "integer", "description": "milliseconds"}},
)


def sync_responses(success: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: success, 400: REFUSED, 503: FAILED}


ASYNC_RESPONSES: dict[int | str, dict[str, Any]] = {202: ACCEPTED, 400: REFUSED, 503: FAILED}
