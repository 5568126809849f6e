"""The job URL of async APIs: ``GET /v1/api-jobs/{uuid}``.

202 ``{}`` while running, 200 with the result, 503 ``{"error": ...}``, 404 text once unknown or expired. Unlike
ZStack (where anyone who knows the uuid can read it), the result is given only to a session of the account that
started the job; to anyone else the job looks unknown.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from taskprogress.rest import docs
from taskprogress.rest.deps import HeadersDep, ServicesDep, TokenDep
from taskprogress.rest.errors import RestError
from taskprogress.rest.wire import json_response, text_response
from taskprogress.services.api_jobs import token_digest

router = APIRouter(tags=["api jobs"])

EXPIRED = "the job has been expired"


@router.get(
    "/api-jobs/{uuid}",
    summary="Poll an async API",
    responses={
        200: docs.ok('the API\'s result (its mapping, e.g. `{"inventory": ...}`)', {"schema": docs.SCHEMA_MAP}),
        202: docs.ok("still running", {}),
        400: docs.REFUSED,
        404: {
            "description": "unknown, expired, or someone else's job: `the job has been expired`",
            "content": docs.TEXT,
        },
        503: docs.FAILED,
    },
    openapi_extra=docs.extra(docs.AUTHORIZATION),
)
def poll_job(uuid: str, services: ServicesDep, token: TokenDep, _headers: HeadersDep) -> Response:
    job = services.jobs.get(uuid)
    if job is None or job.account_uuid is None:
        # A job refused for an invalid session has no owner: its result (that error) goes to whoever presents
        # the same token. Checked before authenticating, or that very token would be refused.
        if job is not None and job.session_digest == token_digest(token) and job.outcome is not None:
            return json_response(job.outcome.body, job.outcome.status_code)
        services.identity.authenticate(token)  # so an invalid session says ID.1001 whether the job exists or not
        raise RestError(404, EXPIRED)
    caller = services.identity.authenticate(token)
    if caller.account_uuid != job.account_uuid:
        raise RestError(404, EXPIRED)
    if job.outcome is None:
        return json_response({}, 202)
    return json_response(job.outcome.body, job.outcome.status_code)


@router.api_route("/api-jobs/{uuid}", methods=["POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
def job_method_not_allowed(request: Request) -> Response:
    return text_response("only GET method is allowed for querying job status", 405)
