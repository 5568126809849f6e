"""ZStack's REST protocol without I/O: what to send for each call, and what an answer means.

``Client`` and ``AsyncClient`` only move bytes; everything they share (URLs, headers, bodies, the reading of
200/202/503 and plain-text refusals) is here, so the twins cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from taskprogress.sdk._exceptions import APIError, RequestRefused, TransportError

__all__ = ["hash_password"]

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
API_JOBS = "api-jobs"


def hash_password(password: str) -> str:
    """What ZStack logs in with: the lower-case hex SHA-512 of the password."""
    return hashlib.sha512(password.encode("utf-8")).hexdigest()


def api_base(base_url: str) -> str:
    """``http://host:port`` → ``http://host:port/zstack/v1/``; a URL ending in ``/zstack`` or ``/v1`` is kept."""
    url = base_url.rstrip("/")
    if url.endswith("/v1"):
        return url + "/"
    if url.endswith("/zstack"):
        return url + "/v1/"
    return url + "/zstack/v1/"


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP request, relative to the API base (``task-progresses/<id>``)."""

    method: str
    path: str
    params: list[tuple[str, str]] = field(default_factory=list)
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"params": self.params, "headers": self.headers}
        if self.body is not None:
            kwargs["content"] = json.dumps(self.body).encode()
            kwargs["headers"] = {**self.headers, "Content-Type": "application/json"}
        return kwargs


def oauth(session_id: str | None) -> dict[str, str]:
    return {"Authorization": f"OAuth {session_id}"} if session_id else {}


def body_of(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a response; anything else is a broken reply."""
    try:
        body = response.json() if response.content.strip() else {}
    except ValueError:
        raise TransportError(f"HTTP {response.status_code}: the reply is not JSON: {response.text[:200]!r}") from None
    if not isinstance(body, dict):
        raise TransportError(f"HTTP {response.status_code}: the reply is not a JSON object")
    return body


def result(response: httpx.Response) -> dict[str, Any]:
    """The body of a finished call (200), or the error it carries: 503 → APIError with the real ZStack code,
    other non-2xx → RequestRefused with the server's text."""
    if response.status_code == 200:
        return body_of(response)
    if response.status_code == 503:
        body = body_of(response)
        error = body.get("error")
        if not isinstance(error, dict):
            raise TransportError(f"HTTP 503 without a ZStack error: {response.text[:200]!r}")
        raise APIError(error, 503)
    if response.status_code == 202:
        raise TransportError("HTTP 202: the server treated a sync API as async")
    raise RequestRefused(response.status_code, response.text)


def job_id(response: httpx.Response) -> str:
    """The job of an accepted async API (202 ``{location, apiTimeout}``): the last segment of ``location``.

    Polled under the client's own base URL, not at ``location`` verbatim: behind a proxy the server's idea of
    its host is not necessarily one this client reaches (the Java SDK does the same).
    """
    if response.status_code != 202:
        result(response)  # raises: a refusal, or an error answered at once
        raise TransportError(f"HTTP {response.status_code}: an async API must answer 202")
    location = body_of(response).get("location")
    if not isinstance(location, str) or not location:
        raise TransportError("HTTP 202 without a location")
    return urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]


def api_timeout_seconds(response: httpx.Response, default: float) -> float:
    """The server's timeout of an accepted API (``apiTimeout``, ms): how long polling it makes sense."""
    value = body_of(response).get("apiTimeout")
    return value / 1000 if isinstance(value, int | float) and value > 0 else default


def poll_call(job: str, session_id: str | None) -> Call:
    return Call("GET", f"{API_JOBS}/{job}", headers=oauth(session_id))


def job_done(response: httpx.Response) -> dict[str, Any] | None:
    """None while the job runs (202), its result once done; its failure raises APIError."""
    if response.status_code == 202:
        return None
    return result(response)


def next_interval(interval: float, ceiling: float) -> float:
    """Polls start fast (a short API answers in milliseconds) and slow down to the configured interval."""
    return min(ceiling, max(0.02, interval * 2))
