"""Async APIs the ZStack way: answer 202 with where to poll, run the API as a job, keep its result.

As in ZStack, an async API with an invalid session is still accepted (202) and its job fails with ID.1001. Unlike
ZStack, that job has no owner: only whoever presents the same session token can read its result, which is that
error and nothing else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from taskprogress.errors import InvalidSession
from taskprogress.ids import new_uuid
from taskprogress.rest.deps import RestHeaders
from taskprogress.rest.wire import job_location, json_response
from taskprogress.services.api_jobs import JobRequest
from taskprogress.services.container import Services
from taskprogress.services.identity import Caller
from taskprogress.services.outcomes import Outcome

Work = Callable[[Caller], dict[str, Any]]
Schema = Callable[[dict[str, Any]], dict[str, str]]


def accept_async(
    request: Request,
    services: Services,
    headers: RestHeaders,
    token: str,
    api_name: str,
    work: Work,
    schema: Schema | None = None,
    *,
    finishes_progress: bool = True,
) -> Response:
    """Start ``work`` as the API job ``X-Job-UUID`` (or a new id) and answer 202 ``{location, apiTimeout}``.

    ``work`` returns the mapped result (``{"inventory": ...}``); with X-JSON-Schema it also gets ``schema``.
    ``finishes_progress`` False: the call's id is a progress stream that outlives it (a long job's).
    """
    job_id = headers.job_uuid or new_uuid()
    timeout_ms = headers.api_timeout_ms or int(services.store.get_config("rest", "api.timeout")) * 1000
    job = JobRequest(job_id, api_name, None, token, headers.webhook, headers.want_schema, timeout_ms, finishes_progress)
    try:
        caller = services.identity.authenticate(token)
    except InvalidSession as exc:
        services.jobs.refuse(job, Outcome.failure(exc))
    else:

        def run() -> Outcome:
            body = work(caller)
            if headers.want_schema and schema is not None:
                body = {**body, "schema": schema(body)}
            return Outcome.success(body)

        services.jobs.submit(dataclasses.replace(job, account_uuid=caller.account_uuid), run)
    return json_response({"location": job_location(request, job_id), "apiTimeout": timeout_ms}, 202)
