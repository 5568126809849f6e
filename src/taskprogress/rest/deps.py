"""Request dependencies: ZStack's header checks, the request body, and the authenticated caller.

Header and body checks are REST-level (plain-text 400, nothing runs); the session check is API-level (503
ID.1001), as in ZStack, where the REST layer accepts any session uuid and the API interceptor rejects it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from taskprogress.rest.errors import RestError
from taskprogress.rest.query_string import QueryString
from taskprogress.rest.wire import zstack_path
from taskprogress.services.api_jobs import DuplicateJob
from taskprogress.services.container import Services
from taskprogress.services.identity import Caller

_WEBHOOK = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)
MAX_API_TIMEOUT_SECONDS = 31_536_000


async def get_services(request: Request) -> Services:
    return request.app.state.services


@dataclass(frozen=True, slots=True)
class RestHeaders:
    job_uuid: str | None  # X-Job-UUID: the client's id for the API (the apiId)
    want_schema: bool  # X-JSON-Schema present: add the ``schema`` map to a 200
    webhook: str | None  # X-Web-Hook: where an async API's result is posted
    api_timeout_ms: int | None  # X-API-Timeout, given in seconds


async def rest_headers(request: Request) -> RestHeaders:
    headers = request.headers
    job_uuid = headers.get("x-job-uuid")
    if job_uuid is not None and len(job_uuid) != 32:
        raise RestError(400, "Invalid header[X-Job-UUID], it must be a UUID with '-' stripped")
    timeout_ms = None
    if (timeout := headers.get("x-api-timeout")) is not None:
        try:
            seconds = int(timeout.strip())
        except ValueError:
            seconds = 0
        if not 0 < seconds <= MAX_API_TIMEOUT_SECONDS:
            raise RestError(400, f"Invalid header[X-API-Timeout], it must be a number of seconds, got [{timeout}]")
        timeout_ms = seconds * 1000
    webhook = headers.get("x-web-hook")
    if webhook is not None and not _WEBHOOK.fullmatch(webhook.strip()):
        raise RestError(400, f"Invalid header[X-Web-Hook], it must be an http:// or https:// URL, got [{webhook}]")
    return RestHeaders(job_uuid, "x-json-schema" in headers, webhook.strip() if webhook else None, timeout_ms)


async def session_token(request: Request) -> str:
    """The session uuid of ``Authorization: OAuth <uuid>``; a missing or other scheme is refused (400)."""
    auth = request.headers.get("authorization")
    if auth is None:
        raise RestError(400, "missing header 'Authorization'")
    auth = auth.strip()
    if auth.startswith("OAuth"):
        return auth[len("OAuth") :].strip()
    if auth.startswith("ZStack"):
        # ZStack's open-source server has no AccessKey backend either (it answers 500); say so plainly.
        raise RestError(400, "Authorization type 'ZStack' (AccessKey) is not supported, use 'OAuth <session uuid>'")
    raise RestError(400, "Authorization type must be 'OAuth'")


async def authenticated_caller(
    token: Annotated[str, Depends(session_token)], services: Annotated[Services, Depends(get_services)]
) -> Caller:
    """The caller; a session this node checked a moment ago costs no database round trip (and no thread)."""
    caller = services.identity.cached_caller(token)
    if caller is None:
        caller = await run_in_threadpool(services.identity.authenticate, token)
    return caller


def no_duplicate_job(
    headers: Annotated[RestHeaders, Depends(rest_headers)], services: Annotated[Services, Depends(get_services)]
) -> None:
    """POST/PUT/DELETE may not reuse the id of an existing job (GET may: zssdk.py sends the apiId it reads)."""
    if headers.job_uuid is not None and services.jobs.exists(headers.job_uuid):
        raise DuplicateJob(headers.job_uuid)


async def json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body is ``{}`` (as ZStack), malformed JSON a 400."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RestError(400, f"malformed JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise RestError(400, "the body must be a JSON object")
    return body


def action_params(request: Request, body: dict[str, Any], key: str, *, shared_path: bool = False) -> dict[str, Any]:
    """The fields of the API message: the value under the API's key (``logInByAccount``, ``params``...).

    On a path several ZStack APIs share (``.../actions``) the key selects the API, so it must be there.
    """
    params = body.get(key)
    if params is None:
        if shared_path:
            raise RestError(400, f"the body doesn't contain action mapping to the URL[{zstack_path(request)}]")
        return {}
    if not isinstance(params, dict):
        raise RestError(400, f"the value of [{key}] in the body must be a JSON object")
    return params


async def query_string(request: Request) -> QueryString:
    return QueryString(request.query_params.multi_items())


ServicesDep = Annotated[Services, Depends(get_services)]
HeadersDep = Annotated[RestHeaders, Depends(rest_headers)]
CallerDep = Annotated[Caller, Depends(authenticated_caller)]
TokenDep = Annotated[str, Depends(session_token)]
BodyDep = Annotated[dict[str, Any], Depends(json_body)]
QueryDep = Annotated[QueryString, Depends(query_string)]
