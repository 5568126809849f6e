"""LongJobs (spec §8): SubmitLongJob, QueryLongJob, the job actions, DeleteLongJob. All but the query are async.

The submit call's id (``X-Job-UUID``, or a new one) is the job's ``apiId``: its progress is read with
``GET /v1/task-progresses/{apiId}``. A rerun's call id becomes the new ``apiId``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from taskprogress.ids import new_uuid
from taskprogress.rest import docs
from taskprogress.rest.async_api import accept_async
from taskprogress.rest.deps import (
    BodyDep,
    CallerDep,
    HeadersDep,
    QueryDep,
    RestHeaders,
    ServicesDep,
    TokenDep,
    action_params,
)
from taskprogress.rest.errors import RestError
from taskprogress.rest.inventories import query_reply, schema_map
from taskprogress.rest.long_job_inventory import LONG_JOB_CLASS, LONG_JOB_FIELDS, long_job_inventory
from taskprogress.rest.wire import zstack_path
from taskprogress.rest.zquery import run_query
from taskprogress.services.container import Services
from taskprogress.services.identity import Caller
from taskprogress.services.long_job_records import LongJob

router = APIRouter(tags=["long jobs"])

MSG = "org.zstack.header.longjob.API{}Msg"
QUERY_REPLY = docs.ok("the long jobs the caller may see (an admin: all; others: their own)", docs.many(LONG_JOB_CLASS))
ACTIONS = ("cancelLongJob", "suspendLongJob", "resumeLongJob", "rerunLongJob", "updateLongJob")


def _inventory_schema(body: dict[str, Any]) -> dict[str, str]:
    return schema_map(body["inventory"], LONG_JOB_CLASS, "inventory")


def _reply(job: LongJob) -> dict[str, Any]:
    return {"inventory": long_job_inventory(job)}


def _with_call_id(headers: RestHeaders) -> tuple[RestHeaders, str]:
    """The call's id decided here, not in ``accept_async``: the job needs it as its apiId."""
    call_id = headers.job_uuid or new_uuid()
    return RestHeaders(call_id, headers.want_schema, headers.webhook, headers.api_timeout_ms), call_id


def _accept(request: Request, services: Services, headers: RestHeaders, token: str, api: str, work: Any) -> Response:
    # Submit and rerun start a progress stream that outlives the call: the call's end must not expire it.
    owns_stream = api in ("SubmitLongJob", "RerunLongJob")
    return accept_async(
        request,
        services,
        headers,
        token,
        MSG.format(api),
        work,
        _inventory_schema,
        finishes_progress=not owns_stream,
    )


@router.post(
    "/longjobs",
    summary="SubmitLongJob (async; the job's apiId is this call's id)",
    status_code=202,
    responses=docs.ASYNC_RESPONSES,
    openapi_extra=docs.extra(
        *docs.ASYNC_HEADERS,
        body=docs.action_body(
            "params",
            {
                "name": docs.STRING,
                "description": docs.STRING,
                "jobName": {"type": "string", "description": "the job type, e.g. APIAddImageMsg or ScriptedJob"},
                "jobData": {"type": "string", "description": "the job's parameters as a JSON string"},
                "targetResourceUuid": docs.STRING,
            },
            required=("jobName", "jobData"),
        ),
    ),
)
def submit_long_job(
    request: Request, services: ServicesDep, headers: HeadersDep, token: TokenDep, body: BodyDep
) -> Response:
    params = action_params(request, body, "params")
    headers, call_id = _with_call_id(headers)

    def work(caller: Caller) -> dict[str, Any]:
        return _reply(services.long_jobs.submit(caller, call_id, params))

    return _accept(request, services, headers, token, "SubmitLongJob", work)


@router.get(
    "/longjobs",
    summary="QueryLongJob",
    responses=docs.sync_responses(QUERY_REPLY),
    openapi_extra=docs.extra(docs.AUTHORIZATION, docs.JOB_UUID, docs.JSON_SCHEMA, *docs.ZSTACK_QUERY),
)
def query_long_jobs(services: ServicesDep, caller: CallerDep, query: QueryDep, _headers: HeadersDep) -> Response:
    inventories = [long_job_inventory(job) for job in services.long_jobs.list(caller)]
    reply = run_query(inventories, query, LONG_JOB_FIELDS)
    return query_reply(reply.inventories, reply.total, LONG_JOB_CLASS)


@router.get(
    "/longjobs/{uuid}",
    summary="QueryLongJob (one)",
    responses=docs.sync_responses(QUERY_REPLY),
    openapi_extra=docs.extra(docs.AUTHORIZATION, docs.JOB_UUID, docs.JSON_SCHEMA),
)
def get_long_job(uuid: str, services: ServicesDep, caller: CallerDep, _headers: HeadersDep) -> Response:
    """As ZStack: ``GET /v1/<resources>/{uuid}`` is a query on the uuid, other parameters ignored."""
    inventories = [long_job_inventory(job) for job in services.long_jobs.list(caller) if job.uuid == uuid]
    return query_reply(inventories, None, LONG_JOB_CLASS)


@router.put(
    "/longjobs/{uuid}/actions",
    summary="CancelLongJob, SuspendLongJob, ResumeLongJob, RerunLongJob, UpdateLongJob (async)",
    status_code=202,
    responses=docs.ASYNC_RESPONSES,
    openapi_extra=docs.extra(
        *docs.ASYNC_HEADERS,
        body={
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "exactly one action key: " + ", ".join(ACTIONS),
                        "properties": {
                            **{key: {"type": "object"} for key in ACTIONS[:4]},
                            "updateLongJob": {
                                "type": "object",
                                "properties": {"name": docs.STRING, "description": docs.STRING},
                            },
                        },
                    }
                }
            },
        },
    ),
)
def long_job_action(
    uuid: str, request: Request, services: ServicesDep, headers: HeadersDep, token: TokenDep, body: BodyDep
) -> Response:
    # As ZStack on a shared path: the body's key picks the API; none of them is a plain-text 400.
    action = next((key for key in ACTIONS if key in body), None)
    if action is None:
        raise RestError(400, f"the body doesn't contain action mapping to the URL[{zstack_path(request)}]")
    params = action_params(request, body, action, shared_path=True)
    headers, call_id = _with_call_id(headers)
    jobs = services.long_jobs

    def work(caller: Caller) -> dict[str, Any]:
        if action == "cancelLongJob":
            return _reply(jobs.cancel(caller, uuid))
        if action == "suspendLongJob":
            return _reply(jobs.suspend(caller, uuid))
        if action == "resumeLongJob":
            return _reply(jobs.resume(caller, uuid))
        if action == "rerunLongJob":
            return _reply(jobs.rerun(caller, uuid, call_id))
        return _reply(jobs.update(caller, uuid, params))

    return _accept(request, services, headers, token, action[0].upper() + action[1:], work)


@router.delete(
    "/longjobs/{uuid}",
    summary="DeleteLongJob (async; final states only; an unknown uuid succeeds; its progress is left alone)",
    status_code=202,
    responses=docs.ASYNC_RESPONSES,
    openapi_extra=docs.extra(*docs.ASYNC_HEADERS, docs.query("deleteMode", "Permissive or Enforcing; both delete")),
)
def delete_long_job(
    uuid: str, request: Request, services: ServicesDep, headers: HeadersDep, token: TokenDep
) -> Response:
    def work(caller: Caller) -> dict[str, Any]:
        services.long_jobs.delete(caller, uuid)
        return {}

    return accept_async(request, services, headers, token, MSG.format("DeleteLongJob"), work)
