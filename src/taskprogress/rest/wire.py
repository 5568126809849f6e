"""ZStack's wire formats: JSON bodies, plain-text REST errors, dates, and the job location URL."""

from __future__ import annotations

import re
import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

JSON_TYPE = "application/json; charset=utf-8"
CONTEXT_PATH = "/zstack"
API_PREFIX = "/v1"
JOBS_PATH = f"{CONTEXT_PATH}{API_PREFIX}/api-jobs"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def json_response(body: dict[str, Any], status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type=JSON_TYPE)


def text_response(text: str, status_code: int) -> Response:
    """REST-level errors are plain text in ZStack, not JSON."""
    return PlainTextResponse(text, status_code=status_code)


def zstack_date(epoch_ms: int) -> str:
    """Gson's default ``java.sql.Timestamp`` format on JDK 8, in server local time: ``Nov 27, 2026 7:54:17 AM``.

    Built by hand, not with ``strftime``, so the month and AM/PM stay English whatever the locale.
    """
    t = time.localtime(epoch_ms / 1000)
    hour = t.tm_hour % 12 or 12
    return (
        f"{_MONTHS[t.tm_mon - 1]} {t.tm_mday}, {t.tm_year} {hour}:{t.tm_min:02d}:{t.tm_sec:02d} "
        f"{'AM' if t.tm_hour < 12 else 'PM'}"
    )


def zstack_path(request: Request) -> str:
    """The path as ZStack names it in messages: without the ``/zstack`` context path."""
    path = request.url.path
    return path[len(CONTEXT_PATH) :] if path.startswith(CONTEXT_PATH + "/") else path


def job_location(request: Request, job_id: str) -> str:
    """Where the client polls: the host it used (both SDKs need an address they can reach), ZStack's path."""
    host = request.headers.get("host", "")
    if not _HOST.fullmatch(host):
        server = request.scope.get("server") or ("127.0.0.1", 8080)
        host = f"{server[0]}:{server[1]}"
    return f"http://{host}{JOBS_PATH}/{job_id}"
