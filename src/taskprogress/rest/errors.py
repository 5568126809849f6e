"""REST-level refusals, and the one registry that turns every exception into a ZStack response.

- ``RestError``: refused before the API runs (ZStack's ``RestException``): plain text, 400/404/405.
- ``TaskProgressError``: the API ran and failed: 503 ``{"error": ErrorCode}``, authentication included.
- anything else is a bug: 503 SYS.1000, the trace goes to the log only, never to the client.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from taskprogress.errors import TaskProgressError
from taskprogress.rest.wire import json_response, text_response, zstack_path
from taskprogress.services.api_jobs import DuplicateJob
from taskprogress.services.outcomes import Outcome

logger = logging.getLogger(__name__)


class RestError(Exception):
    def __init__(self, status_code: int, text: str) -> None:
        super().__init__(text)
        self.status_code = status_code
        self.text = text


def failure_response(exc: TaskProgressError) -> Response:
    outcome = Outcome.failure(exc)
    return json_response(outcome.body, outcome.status_code)


async def _rest_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RestError)
    return text_response(exc.text, exc.status_code)


async def _api_failure(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TaskProgressError)
    return failure_response(exc)


async def _duplicate_job(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DuplicateJob)
    return text_response(f"Duplicate job uuid[{exc.job_id}]", 400)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return text_response(f"no api mapping to {zstack_path(request)}", 404)
    if exc.status_code == 405:
        return text_response(f"The method[{request.method}] is not allowed for the path[{zstack_path(request)}]", 405)
    return text_response(str(exc.detail), exc.status_code)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    # Parameters are parsed by hand, ZStack's way; this only guards against a declared one slipping through.
    return text_response(f"invalid request: {exc}", 400)


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.error("unexpected error answering %s %s", request.method, request.url.path, exc_info=exc)
    return failure_response(TaskProgressError("an internal error happened while handling the request"))


def register(app: FastAPI) -> None:
    app.add_exception_handler(RestError, _rest_error)
    app.add_exception_handler(TaskProgressError, _api_failure)
    app.add_exception_handler(DuplicateJob, _duplicate_job)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
