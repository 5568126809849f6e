"""The agent report channel: ``POST /zstack/asyncrest/sendcommand`` with ``commandpath: /progress/report``.

ZStack's command channel, where agents post ``ProgressReportCmd`` (spec §4.7). As ZStack: 200 with an empty
body (also when nothing is stored: no ``api`` in the context, ``progress.on`` false), 400 for a missing
``commandpath``, 404 for an unknown one. Unlike ZStack: only from the allowed networks and with the agent token
when one is configured (403 otherwise), every field checked (400, nothing stored, never a 500), a batch form,
and a bounded body (413).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from taskprogress.core.agent_access import TOKEN_HEADER
from taskprogress.core.agent_reports import (
    BATCH_PATH,
    MAX_BATCH_REPORTS,
    REPORT_PATH,
    InvalidReport,
    UnknownCommand,
    check_command_path,
    decode_command,
    max_body_bytes,
)
from taskprogress.rest import docs
from taskprogress.rest.deps import ServicesDep
from taskprogress.rest.errors import RestError

logger = logging.getLogger(__name__)

AGENT_PREFIX = "/asyncrest"  # mounted beside the REST API (``/zstack/v1``), as in ZStack

router = APIRouter(tags=["agent reports"])

_NUMBER_OR_STRING = {"oneOf": [{"type": "number"}, {"type": "string"}]}
_REPORT = {
    "type": "object",
    "description": "ZStack's ProgressReportCmd; serverUuid, processType, resourceUuid, serverType are ignored",
    "required": ["progress"],
    "properties": {
        "progress": {**_NUMBER_OR_STRING, "description": "absolute percent 0-100 (already mapped into task-stage)"},
        "detail": {"type": "object", "description": "served as the record's opaque"},
        "threadContextMap": {
            "type": "object",
            "properties": {
                "api": {**docs.STRING, "description": "the apiId; without it the report is dropped (200)"},
                "task-name": {**docs.STRING, "description": "the record's taskName"},
                "task-stage": {**docs.STRING, "description": "`start-end`, checked, not applied again"},
            },
        },
        "threadContextStack": {
            "type": "array",
            "items": docs.STRING,
            "description": "top (last) = taskUuid, the one below = parentUuid; empty or one element: a root",
        },
        "serverUuid": docs.STRING,
        "processType": docs.STRING,
        "resourceUuid": docs.STRING,
        "serverType": docs.STRING,
    },
}
_BATCH = {
    "type": "object",
    "description": f"`commandpath: {BATCH_PATH}`: all reports are stored, or none",
    "required": ["reports"],
    "properties": {"reports": {"type": "array", "maxItems": MAX_BATCH_REPORTS, "items": _REPORT}},
}
_BODY = {"required": True, "content": {"application/json": {"schema": {"oneOf": [_REPORT, _BATCH]}}}}


def _text(description: str) -> dict[str, Any]:
    return {"description": description, "content": docs.TEXT}


@router.post(
    "/sendcommand",
    summary="Agent progress reports (ZStack's command channel)",
    response_class=Response,
    responses={
        200: {"description": "committed (or dropped: no `api` in the context, `progress.on` false); empty body"},
        400: _text("missing `commandpath`, malformed JSON or a bad field (a batch names the report's index)"),
        403: _text("the client is outside the allowed agent networks, or the agent token is missing or wrong"),
        404: _text("unknown `commandpath`"),
        413: _text("the body is too large"),
        503: docs.FAILED,
    },
    openapi_extra=docs.extra(
        docs.header("commandpath", f"`{REPORT_PATH}` (one report) or `{BATCH_PATH}`", required=True),
        docs.header(TOKEN_HEADER, "the agent token, when the server is configured with one"),
        body=_BODY,
    ),
)
async def send_command(request: Request, services: ServicesDep) -> Response:
    agents = services.agent_reports
    # The TCP peer: uvicorn runs without proxy headers, so X-Forwarded-For cannot change it.
    client = request.client.host if request.client else None
    refusal = agents.access.refusal(client, request.headers.get(TOKEN_HEADER))
    if refusal is not None:
        logger.warning("refused an agent report: %s", refusal)
        raise RestError(403, refusal)
    command_path = request.headers.get("commandpath")
    try:
        check_command_path(command_path)
        body = await _read_body(request, max_body_bytes(command_path or ""))
        reports = decode_command(command_path, body)
    except UnknownCommand as exc:
        raise RestError(404, exc.details) from None
    except InvalidReport as exc:
        raise RestError(400, exc.details) from None
    await run_in_threadpool(agents.store, reports)  # blocks until committed
    return Response(status_code=200)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to exceed ``limit``, without reading the rest."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RestError(413, f"the body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RestError(413, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
