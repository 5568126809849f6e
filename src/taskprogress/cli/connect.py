"""From the command line to an SDK ``Client``: the server option, the stored session, and SDK errors turned into
one-line messages."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from taskprogress.cli import session_file
from taskprogress.cli.failure import USAGE, CliError

if TYPE_CHECKING:  # the SDK (httpx) is imported when a command runs, not for --help
    from taskprogress.sdk import Client, TaskProgressSDKError

DEFAULT_SERVER = "http://127.0.0.1:8080"
INVALID_SESSION = "ID.1001"

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="TASKPROGRESS_SERVER",
        help=f"the server's URL (default: the one logged in to, else {DEFAULT_SERVER})",
        show_default=False,
    ),
]


def server_url(value: str) -> str:
    """``http(s)://host[:port]`` (a path such as ``/zstack`` is kept), without a trailing slash."""
    url = value.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as exc:
        raise CliError(f"bad server URL {value!r}: {exc}", USAGE) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CliError(f"bad server URL {value!r}: expected http://HOST[:PORT] or https://HOST[:PORT]", USAGE)
    return url


def chosen_server(option: str | None) -> str:
    """``--server`` / TASKPROGRESS_SERVER, else the server of the stored session, else the local default."""
    if option:
        return server_url(option)
    stored = session_file.load()
    return server_url(stored.server) if stored else DEFAULT_SERVER


def logged_in_client(option: str | None) -> Client:
    """A client on the chosen server with the stored session; a clear error when there is none for it."""
    from taskprogress.sdk import Client

    server = chosen_server(option)
    stored = session_file.load()
    if stored is None or server_url(stored.server) != server:
        hint = "taskprogress login" if server == DEFAULT_SERVER else f"taskprogress login --server {server}"
        raise CliError(f"not logged in to {server}: run `{hint}` first")
    return Client(server, session_id=stored.session)


def describe(exc: TaskProgressSDKError) -> str:
    """One line for any SDK error; an APIError keeps its ZStack code, description and details."""
    from taskprogress.sdk import APIError, RequestRefused, TransportError

    if isinstance(exc, APIError):
        text = f"{exc.code}: {exc.description or 'the API failed'}"
        if exc.details and exc.details != exc.description:
            text += f": {exc.details}"
        if exc.code == INVALID_SESSION:
            text += " (log in again: taskprogress login)"
        return _one_line(text)
    if isinstance(exc, RequestRefused):
        return _one_line(f"the server refused the request (HTTP {exc.status_code}): {exc.text.strip()[:300]}")
    if isinstance(exc, TransportError):
        return _one_line(f"{exc} (is `taskprogress serve` running there? choose another with --server)")
    return _one_line(str(exc))


@contextlib.contextmanager
def sdk_errors() -> Iterator[None]:
    from taskprogress.sdk import TaskProgressSDKError

    try:
        yield
    except TaskProgressSDKError as exc:
        raise CliError(describe(exc)) from None


def _one_line(text: str) -> str:
    return " ".join(text.split())
