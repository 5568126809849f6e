"""GetTaskProgress, with tenancy and a long-poll form, and the list of the caller's running APIs for dashboards.

Long poll (not in ZStack): ``?waitForChangeAfter=<seq>&timeoutSeconds=N`` answers as soon as the caller can see a
record newer than ``seq``, or the API is over, or after N seconds (default 30, at most 60) with nothing new. The
reply is GetTaskProgress's plus ``seq``, the newest record's seq (0: none, or not the caller's), to pass as the
next ``waitForChangeAfter``. Someone else's apiId waits like an unknown one and answers ``[]`` with seq 0.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from taskprogress.errors import InvalidArgument, invalid_api_id
from taskprogress.ids import is_valid_uuid
from taskprogress.rest import docs
from taskprogress.rest.deps import CallerDep, HeadersDep, QueryDep, ServicesDep
from taskprogress.rest.inventories import TASK_PROGRESS_CLASS, running_api_inventory, schema_map
from taskprogress.rest.query_string import QueryString
from taskprogress.rest.routes.progress_events import progress_streams
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
        "taskName": docs.STRING,
        "startedAt": {"type": "integer", "description": "epoch ms"},
        "lastProgressAt": {"type": "integer", "description": "epoch ms of the last higher percent or new step"},
        "finishedAt": {"type": "integer"},
        "rate": {"type": "number", "description": "percent points per second over progress.rateWindow"},
        "etaSeconds": {"type": "number", "description": "absent when unknown"},
        "etaBasis": {"type": "string", "enum": ["rate", "history", "unknown", "finished"]},
        "stalled": {"type": "boolean", "description": "no progress for progress.stallTimeout seconds"},
    },
}
MAX_WAIT_SECONDS = 60
DEFAULT_WAIT_SECONDS = 30
MAX_SEQ = 2**63 - 1
PROGRESS_REPLY = docs.ok(
    "the newest record and its ancestors, root first; with all=true the whole tree. "
    "`[]` for an unknown apiId and for someone else's",
    {
        "inventories": {"type": "array", "items": docs.inventory_schema(TASK_PROGRESS_CLASS)},
        "summary": SUMMARY,
        "seq": {"type": "integer", "description": "long polls only: the newest record's seq"},
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
        docs.query("waitForChangeAfter", "long poll: answer once a record newer than this seq exists (0 or more)"),
        docs.query("timeoutSeconds", f"long poll: answer after this many seconds anyway (1 to {MAX_WAIT_SECONDS})"),
        *docs.TAGS,
    ),
)
async def get_task_progress(
    apiId: str, request: Request, services: ServicesDep, caller: CallerDep, query: QueryDep, headers: HeadersDep
) -> Response:
    query.strings("systemTags"), query.strings("userTags")  # accepted and ignored, as ZStack
    all_ = query.boolean("all")
    wait = _long_poll(query)
    if wait is not None:
        if not is_valid_uuid(apiId):
            raise invalid_api_id(apiId)
        await progress_streams(request).wait_for_change(caller, apiId, *wait)
    reply = await run_in_threadpool(services.progress.get, caller, apiId, all=all_, with_seq=wait is not None)
    body: dict[str, Any] = {"inventories": reply.inventories}
    if reply.summary is not None:
        body["summary"] = reply.summary
    if wait is not None:
        body["seq"] = reply.seq
    if headers.want_schema:
        body["schema"] = schema_map(reply.inventories, TASK_PROGRESS_CLASS, "inventories", "subTasks")
    return json_response(body)


def _long_poll(query: QueryString) -> tuple[int, float] | None:
    """(waitForChangeAfter, timeoutSeconds) of a long poll, validated; None for a plain GetTaskProgress."""
    after = query.integer("waitForChangeAfter")
    timeout = query.integer("timeoutSeconds")
    if after is None:
        if timeout is not None:
            raise InvalidArgument("timeoutSeconds is only for a long poll: give waitForChangeAfter too")
        return None
    if not 0 <= after <= MAX_SEQ:
        raise InvalidArgument(f"waitForChangeAfter must be a record seq, 0 or more, got [{after}]")
    if timeout is None:
        timeout = DEFAULT_WAIT_SECONDS
    elif not 1 <= timeout <= MAX_WAIT_SECONDS:
        raise InvalidArgument(f"timeoutSeconds must be 1 to {MAX_WAIT_SECONDS}, got [{timeout}]")
    return after, float(timeout)


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
