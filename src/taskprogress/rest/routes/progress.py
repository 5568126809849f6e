"""GetTaskProgress, with tenancy, and the list of the caller's running APIs for dashboards."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from taskprogress.rest import docs
from taskprogress.rest.deps import CallerDep, HeadersDep, QueryDep, ServicesDep
from taskprogress.rest.inventories import TASK_PROGRESS_CLASS, running_api_inventory, schema_map
from taskprogress.rest.wire import json_response

router = APIRouter(tags=["task progress"])

SUMMARY = {
    "type": "object",
    "description": "not in ZStack (clients ignore it): the API's overall state",
    "properties": {
        "apiId": docs.STRING,
        "state": {"type": "string", "enum": ["processing", "succeeded", "failed"]},
        "percent": {"type": "number"},
        "finished": {"type": "boolean"},
    },
}
PROGRESS_REPLY = docs.ok(
    "the newest record and its ancestors, root first; with all=true the whole tree. "
    "`[]` for an unknown apiId and for someone else's",
    {
        "inventories": {"type": "array", "items": docs.inventory_schema(TASK_PROGRESS_CLASS)},
        "summary": SUMMARY,
        "schema": docs.SCHEMA_MAP,
    },
)
RUNNING_REPLY = docs.ok(
    "the caller's API jobs still running (an admin: everyone's), each with its newest progress",
    {
        "inventories": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "apiId": docs.STRING,
                    "apiName": docs.STRING,
                    "accountUuid": docs.STRING,
                    "createDate": docs.STRING,
                    "percent": {"type": "number"},
                    "lastProgressTime": {"type": "integer"},
                    "progress": {"type": "array", "items": docs.inventory_schema(TASK_PROGRESS_CLASS)},
                },
            },
        },
        "schema": docs.SCHEMA_MAP,
    },
)


@router.get(
    "/task-progresses/{apiId}",
    summary="GetTaskProgress",
    responses=docs.sync_responses(PROGRESS_REPLY),
    openapi_extra=docs.extra(
        docs.AUTHORIZATION,
        docs.JOB_UUID,
        docs.JSON_SCHEMA,
        docs.query("all", "`true` (any case): the whole tree; anything else: the newest record and its ancestors"),
        *docs.TAGS,
    ),
)
def get_task_progress(
    apiId: str, services: ServicesDep, caller: CallerDep, query: QueryDep, headers: HeadersDep
) -> Response:
    query.strings("systemTags"), query.strings("userTags")  # accepted and ignored, as ZStack
    reply = services.progress.get(caller, apiId, all=query.boolean("all"))
    body: dict[str, Any] = {"inventories": reply.inventories}
    if reply.summary is not None:
        body["summary"] = reply.summary
    if headers.want_schema:
        body["schema"] = schema_map(reply.inventories, TASK_PROGRESS_CLASS, "inventories", "subTasks")
    return json_response(body)


@router.get(
    "/task-progresses",
    summary="List running APIs with their newest progress (not in ZStack)",
    responses=docs.sync_responses(RUNNING_REPLY),
    openapi_extra=docs.extra(docs.AUTHORIZATION, docs.JOB_UUID, docs.JSON_SCHEMA),
)
def list_running(services: ServicesDep, caller: CallerDep, headers: HeadersDep) -> Response:
    inventories = [running_api_inventory(api) for api in services.progress.running(caller)]
    body: dict[str, Any] = {"inventories": inventories}
    if headers.want_schema:
        schema: dict[str, str] = {}
        for i, inventory in enumerate(inventories):
            schema.update(schema_map(inventory["progress"], TASK_PROGRESS_CLASS, f"inventories[{i}].progress"))
        body["schema"] = schema
    return json_response(body)
