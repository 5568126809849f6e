"""Login, logout, session validation and renewal (ZStack's LogInByAccount, LogOut, ValidateSession, RenewSession)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from taskprogress.rest import docs
from taskprogress.rest.async_api import accept_async
from taskprogress.rest.deps import BodyDep, HeadersDep, ServicesDep, TokenDep, action_params, no_duplicate_job
from taskprogress.rest.errors import RestError
from taskprogress.rest.inventories import SESSION_CLASS, schema_map, session_inventory
from taskprogress.rest.wire import json_response
from taskprogress.services.identity import Caller

router = APIRouter(tags=["sessions"])

SESSION_REPLY = docs.ok("the session", docs.one(SESSION_CLASS))
NoDuplicateJob = Annotated[None, Depends(no_duplicate_job)]


@router.put(
    "/accounts/login",
    summary="LogInByAccount",
    responses=docs.sync_responses(SESSION_REPLY),
    openapi_extra=docs.extra(
        docs.JOB_UUID,
        docs.JSON_SCHEMA,
        body=docs.action_body(
            "logInByAccount",
            {"accountName": docs.STRING, "password": {"type": "string", "description": "lower-case SHA-512 hex"}},
            required=("accountName", "password"),
        ),
    ),
)
def log_in_by_account(
    request: Request, services: ServicesDep, headers: HeadersDep, body: BodyDep, _: NoDuplicateJob
) -> Response:
    """Log in with an account name and the SHA-512 hex of its password; the session uuid is ``inventory.uuid``."""
    params = action_params(request, body, "logInByAccount")
    session = services.identity.login(params.get("accountName"), params.get("password"))
    reply: dict[str, Any] = {"inventory": session_inventory(session)}
    if headers.want_schema:
        reply["schema"] = schema_map(reply["inventory"], SESSION_CLASS, "inventory")
    return json_response(reply)


@router.delete(
    "/accounts/sessions/{sessionUuid}",
    summary="LogOut",
    responses=docs.sync_responses(docs.ok("logged out (also for an unknown session)", {})),
    openapi_extra=docs.extra(docs.JOB_UUID),
)
def log_out(sessionUuid: str, services: ServicesDep, _: NoDuplicateJob) -> Response:
    services.identity.logout(sessionUuid)
    return json_response({})


@router.get(
    "/accounts/sessions/{sessionUuid}/valid",
    summary="ValidateSession",
    responses=docs.sync_responses(docs.ok("whether the session is live", {"valid": {"type": "boolean"}})),
    openapi_extra=docs.extra(docs.JOB_UUID),
)
def validate_session(sessionUuid: str, services: ServicesDep, _headers: HeadersDep) -> Response:
    return json_response({"valid": services.identity.validate(sessionUuid)})


@router.put(
    "/accounts/sessions/{sessionUuid}/renew",
    summary="RenewSession (async)",
    status_code=202,
    responses=docs.ASYNC_RESPONSES,
    openapi_extra=docs.extra(
        *docs.ASYNC_HEADERS,
        body=docs.action_body(
            "renewSession", {"duration": {"type": "integer", "description": "seconds, 60 to 31536000"}}
        ),
    ),
)
def renew_session(
    sessionUuid: str, request: Request, services: ServicesDep, headers: HeadersDep, token: TokenDep, body: BodyDep
) -> Response:
    """Set the session's expiry to now + ``duration`` (default ``identity.session.timeout``); the job's result
    is the session inventory."""
    duration = action_params(request, body, "renewSession").get("duration")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int | float)):
        raise RestError(400, f"Invalid value for long field [duration], [{duration}] is not a valid number.")

    def work(caller: Caller) -> dict[str, Any]:
        return {"inventory": session_inventory(services.identity.renew(caller, sessionUuid, duration))}

    return accept_async(
        request,
        services,
        headers,
        token,
        "org.zstack.header.identity.APIRenewSessionMsg",
        work,
        lambda body: schema_map(body["inventory"], SESSION_CLASS, "inventory"),
    )
