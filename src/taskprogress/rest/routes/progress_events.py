"""``GET /v1/task-progresses/{apiId}/events``: an API's progress as Server-Sent Events (not in ZStack).

Authentication and tenancy as GetTaskProgress (``Authorization: OAuth <session>``; a malformed apiId is 503
SYS.1007, an invalid session 503 ID.1001, both before the stream starts). The events and their ids are described
in ``services/progress_stream.py``; on the wire each is::

    event: progress
    id: 57
    data: {"seq": 57, "inventory": {"taskUuid": "...", "type": "Progress", "content": "40", ...}}

plus a keep-alive comment line every ``keepAliveSeconds`` (default 15) while nothing happens. Resume with the
``Last-Event-ID`` header (a browser's EventSource sends it by itself when it reconnects; it cannot send
``Authorization``, so browser code reads the stream with ``fetch``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
from fastapi import APIRouter
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request

from taskprogress.errors import InvalidArgument, invalid_api_id
from taskprogress.ids import is_valid_uuid
from taskprogress.rest import docs
from taskprogress.rest.deps import CallerDep, HeadersDep, QueryDep
from taskprogress.rest.errors import RestError
from taskprogress.services.progress_stream import Cursor, ProgressStreams, StreamEvent

router = APIRouter(tags=["task progress"])

DEFAULT_KEEP_ALIVE_SECONDS = 15
MAX_KEEP_ALIVE_SECONDS = 300

EVENTS_REPLY = {
    "description": (
        "`text/event-stream`: `progress` events (`{seq, inventory}`, one per record, oldest first), `summary` "
        "events (`{seq, summary}`), and a last `finished` event (`{apiId, state?, seq, summary?}`) after which "
        "the server closes the stream. Ids grow: `57` for record 57, `57-1`, `57-2` for the events after it. "
        "An unknown apiId, or someone else's, gives a stream with keep-alive comments only."
    ),
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


def progress_streams(request: Request) -> ProgressStreams:
    return request.app.state.progress_streams


@router.get(
    "/task-progresses/{apiId}/events",
    summary="Watch an API's progress: Server-Sent Events (not in ZStack)",
    responses={200: EVENTS_REPLY, 400: docs.REFUSED, 503: docs.FAILED},
    openapi_extra=docs.extra(
        docs.AUTHORIZATION,
        docs.header("Last-Event-ID", "resume after event id `57` or `57-2`: the records after it, then a summary"),
        docs.query("keepAliveSeconds", f"seconds between keep-alive comments, 1 to {MAX_KEEP_ALIVE_SECONDS}"),
    ),
)
async def progress_events(
    apiId: str, request: Request, caller: CallerDep, query: QueryDep, _headers: HeadersDep
) -> EventSourceResponse:
    if not is_valid_uuid(apiId):
        raise invalid_api_id(apiId)
    try:
        cursor = Cursor.parse(request.headers.get("last-event-id"))
    except ValueError as exc:
        raise RestError(400, str(exc)) from None
    keep_alive = query.integer("keepAliveSeconds")
    if keep_alive is None:
        keep_alive = DEFAULT_KEEP_ALIVE_SECONDS
    elif not 1 <= keep_alive <= MAX_KEEP_ALIVE_SECONDS:
        raise InvalidArgument(f"keepAliveSeconds must be 1 to {MAX_KEEP_ALIVE_SECONDS}, got [{keep_alive}]")
    events = progress_streams(request).events(caller, apiId, cursor)
    return EventSourceResponse(_wire(events), ping=keep_alive)


async def _wire(events: AsyncIterator[StreamEvent]) -> AsyncIterator[ServerSentEvent]:
    async for event in events:
        yield ServerSentEvent(orjson.dumps(event.data).decode(), event=event.kind, id=event.id)
