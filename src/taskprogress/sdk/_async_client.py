"""``AsyncClient``: the asyncio twin of ``Client`` (``_client.py``), method for method; what they share lives in
``_protocol``, ``_calls`` and ``_watch``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from taskprogress.sdk import _calls, _protocol
from taskprogress.sdk._exceptions import ClientClosed, RequestRefused, TimeoutError, TransportError
from taskprogress.sdk._models import ApiResult, LongJob, ProgressEvent, ProgressSummary, Session, TaskProgress
from taskprogress.sdk._protocol import Call
from taskprogress.sdk._sse import SSEDecoder
from taskprogress.sdk._watch import WatchState

__all__ = ["AsyncClient"]


class AsyncClient:
    """``async with AsyncClient("http://127.0.0.1:8080") as client: ...``; see ``Client``."""

    def __init__(
        self,
        base_url: str = _protocol.DEFAULT_BASE_URL,
        *,
        session_id: str | None = None,
        timeout: float = 30.0,
        poll_interval: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = _protocol.api_base(base_url)
        self.session_id = session_id
        self.poll_interval = poll_interval
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)
        self._closed = False

    async def aclose(self) -> None:
        self._closed = True
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # -- sessions --------------------------------------------------------------------------------------

    async def login(self, account_name: str, password: str) -> Session:
        """Log in (the password is hashed here, as ZStack expects); later calls use the new session."""
        session = Session.from_json((await self._sync(_calls.login(account_name, password)))["inventory"])
        self.session_id = session.uuid
        return session

    async def logout(self) -> None:
        if self.session_id is not None:
            await self._sync(_calls.logout(self.session_id))
            self.session_id = None

    async def validate_session(self, session_id: str | None = None) -> bool:
        return bool((await self._sync(_calls.validate_session(session_id or self._session())))["valid"])

    async def renew_session(self, duration: int | None = None, *, timeout: float | None = None) -> Session:
        body = await self._async(_calls.renew_session(self._session(), duration), timeout)
        return Session.from_json(body["inventory"])

    # -- progress --------------------------------------------------------------------------------------

    async def get_task_progress(self, api_id: str, all: bool = False) -> list[TaskProgress]:
        """GetTaskProgress: the newest record and its ancestors, root first; with ``all`` the whole tree."""
        body = await self._sync(_calls.get_task_progress(self._session(), api_id, all))
        return [TaskProgress.from_json(item) for item in body.get("inventories") or []]

    async def get_summary(self, api_id: str) -> ProgressSummary | None:
        """Where the API stands (percent, rate, ETA, stalled, job state); None when nothing is known of it."""
        summary = (await self._sync(_calls.get_task_progress(self._session(), api_id, False))).get("summary")
        return ProgressSummary.from_json(summary) if summary else None

    async def watch(
        self, api_id: str, *, timeout: float | None = None, mode: str = "auto"
    ) -> AsyncIterator[ProgressEvent]:
        """The API's changes as they happen, ending with its ``finished`` event.

        ``mode``: ``stream`` (Server-Sent Events), ``poll`` (long polls of GetTaskProgress), ``auto`` (the
        stream, or polls when the server has none). A dropped stream is resumed where it stopped: no record
        twice, none missed. ``timeout`` (seconds, None: none) raises TimeoutError; a server unreachable for
        ``_calls.RECONNECT_FOR`` seconds raises TransportError.
        """
        state = WatchState(api_id, mode)
        deadline = _calls.Deadline(timeout)
        retry = _calls.Retry()
        while not state.finished:
            try:
                steps = self._stream if state.mode == "stream" else self._poll
                async for change in steps(state, deadline, retry):
                    yield change
            except TransportError:
                if not retry.again():
                    raise
                await asyncio.sleep(deadline.cap(retry.delay))
            deadline.check(api_id)

    async def _stream(
        self, state: WatchState, deadline: _calls.Deadline, retry: _calls.Retry
    ) -> AsyncIterator[ProgressEvent]:
        keep_alive = deadline.keep_alive()
        call = state.stream_call(self._session(), keep_alive)
        with self._mapped_errors():
            timeout = httpx.Timeout(self._http.timeout.connect, read=keep_alive * 3)
            async with self._http.stream(call.method, call.path, timeout=timeout, **call.kwargs()) as response:
                if _calls.falls_back(state, response.status_code):
                    return
                if response.status_code != 200:
                    await response.aread()
                    _protocol.result(response)  # raises the error it carries
                decoder = SSEDecoder()
                async for line in response.aiter_lines():
                    event = decoder.feed(line)
                    if event is not None and (change := state.on_event(event)) is not None:
                        retry.reset()
                        yield change
                        if state.finished:
                            return
                    deadline.check(state.api_id)
        raise TransportError("the event stream ended before the API finished")  # resumed by watch()

    async def _poll(
        self, state: WatchState, deadline: _calls.Deadline, retry: _calls.Retry
    ) -> AsyncIterator[ProgressEvent]:
        call = state.poll_call(self._session(), deadline.poll_wait())
        read_timeout = httpx.Timeout(self._http.timeout.connect, read=_calls.LONG_POLL_MAX + 30)
        body = _protocol.result(await self._send(call, timeout=read_timeout))
        retry.reset()
        for change in state.on_poll(body):
            yield change
        if not state.finished and not state.long_poll:
            await asyncio.sleep(deadline.cap(self.poll_interval))

    async def wait(self, api_id: str, *, timeout: float | None = None) -> ApiResult:
        """Wait for the API to end and return its result; a failed API job raises APIError with its code."""
        last = None
        async for change in self.watch(api_id, timeout=timeout):
            last = change
        summary = last.summary if last is not None else None
        try:
            body = await self._sync(_protocol.poll_call(api_id, self._session()))
        except RequestRefused as exc:
            if exc.status_code != 404:
                raise
            return ApiResult(api_id, None, {}, summary)  # no job on the server (or expired): the progress ended
        return ApiResult(api_id, _calls.SUCCEEDED, body, summary)

    # -- long jobs -------------------------------------------------------------------------------------

    async def submit_long_job(
        self,
        job_name: str,
        job_data: Any,
        *,
        name: str | None = None,
        description: str | None = None,
        target_resource_uuid: str | None = None,
        api_id: str | None = None,
        timeout: float | None = None,
    ) -> LongJob:
        """Submit a long job; returns it once accepted (Waiting or Running), so a bad ``job_name`` or ``job_data``
        raises APIError here. Follow it with ``watch(job.api_id)`` / ``wait(job.api_id)``. ``job_data`` may be a
        dict or list (sent as the JSON string ZStack expects) or that string itself."""
        call = _calls.submit_long_job(
            self._session(), job_name, job_data, name, description, target_resource_uuid, api_id
        )
        return LongJob.from_json((await self._async(call, timeout))["inventory"])

    async def get_long_job(self, uuid: str) -> LongJob:
        body = await self._sync(_calls.query_long_job(self._session(), uuid))
        return _calls.one_long_job(body, uuid)

    async def list_long_jobs(self, *conditions: str, limit: int | None = None) -> list[LongJob]:
        body = await self._sync(_calls.query_long_jobs(self._session(), conditions, limit))
        return [LongJob.from_json(item) for item in body.get("inventories") or []]

    async def cancel_long_job(self, uuid: str, *, timeout: float | None = None) -> LongJob:
        body = await self._async(_calls.long_job_action(self._session(), uuid, "cancelLongJob"), timeout)
        return LongJob.from_json(body["inventory"])

    async def rerun_long_job(self, uuid: str, *, timeout: float | None = None) -> LongJob:
        body = await self._async(_calls.long_job_action(self._session(), uuid, "rerunLongJob"), timeout)
        return LongJob.from_json(body["inventory"])

    async def delete_long_job(self, uuid: str, *, timeout: float | None = None) -> None:
        await self._async(_calls.delete_long_job(self._session(), uuid), timeout)

    # -- plumbing --------------------------------------------------------------------------------------

    def _session(self) -> str | None:
        return self.session_id

    @contextlib.contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        if self._closed:
            raise ClientClosed()
        try:
            yield
        except httpx.TimeoutException as exc:
            raise TransportError(f"the server did not answer in time: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise TransportError(f"cannot reach {self.base_url}: {exc!r}") from exc

    async def _send(self, call: Call, *, timeout: httpx.Timeout | None = None) -> httpx.Response:
        with self._mapped_errors():
            extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
            return await self._http.request(call.method, call.path, **call.kwargs(), **extra)

    async def _sync(self, call: Call) -> dict[str, Any]:
        return _protocol.result(await self._send(call))

    async def _async(self, call: Call, timeout: float | None) -> dict[str, Any]:
        """An async API: submitted, then its job polled until done (or ``timeout``, default its apiTimeout)."""
        accepted = await self._send(call)
        job = _protocol.job_id(accepted)
        deadline = _calls.Deadline(timeout if timeout is not None else _protocol.api_timeout_seconds(accepted, 1800))
        interval = 0.0
        while (body := _protocol.job_done(await self._send(_protocol.poll_call(job, self._session())))) is None:
            interval = _protocol.next_interval(interval, self.poll_interval)
            if deadline.expired_after(interval):
                raise TimeoutError(f"API {job} still running after {deadline.seconds} s")
            await asyncio.sleep(interval)
        return body
