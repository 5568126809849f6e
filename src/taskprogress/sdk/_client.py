"""``Client``: the pythonic SDK over httpx (blocking). ``AsyncClient`` in ``_async_client.py`` is its twin;
what they share (requests, answers, the watch logic) lives in ``_protocol``, ``_calls`` and ``_watch``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import httpx

from taskprogress.sdk import _calls, _protocol
from taskprogress.sdk._exceptions import ClientClosed, RequestRefused, TimeoutError, TransportError
from taskprogress.sdk._models import ApiResult, LongJob, ProgressEvent, ProgressSummary, Session, TaskProgress
from taskprogress.sdk._protocol import Call
from taskprogress.sdk._sse import SSEDecoder
from taskprogress.sdk._watch import WatchState

__all__ = ["Client"]


class Client:
    """A taskprogress (or ZStack) server: ``Client("http://127.0.0.1:8080")``.

    ``base_url`` is the server (``/zstack/v1`` is added) or the API base itself. ``transport`` is any httpx
    transport (``httpx.MockTransport`` in unit tests). Use as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        base_url: str = _protocol.DEFAULT_BASE_URL,
        *,
        session_id: str | None = None,
        timeout: float = 30.0,
        poll_interval: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = _protocol.api_base(base_url)
        self.session_id = session_id
        self.poll_interval = poll_interval
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self._closed = False

    def close(self) -> None:
        self._closed = True
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- sessions --------------------------------------------------------------------------------------

    def login(self, account_name: str, password: str) -> Session:
        """Log in (the password is hashed here, as ZStack expects); later calls use the new session."""
        session = Session.from_json(self._sync(_calls.login(account_name, password))["inventory"])
        self.session_id = session.uuid
        return session

    def logout(self) -> None:
        if self.session_id is not None:
            self._sync(_calls.logout(self.session_id))
            self.session_id = None

    def validate_session(self, session_id: str | None = None) -> bool:
        return bool(self._sync(_calls.validate_session(session_id or self._session()))["valid"])

    def renew_session(self, duration: int | None = None, *, timeout: float | None = None) -> Session:
        body = self._async(_calls.renew_session(self._session(), duration), timeout)
        return Session.from_json(body["inventory"])

    # -- progress --------------------------------------------------------------------------------------

    def get_task_progress(self, api_id: str, all: bool = False) -> list[TaskProgress]:
        """GetTaskProgress: the newest record and its ancestors, root first; with ``all`` the whole tree."""
        body = self._sync(_calls.get_task_progress(self._session(), api_id, all))
        return [TaskProgress.from_json(item) for item in body.get("inventories") or []]

    def get_summary(self, api_id: str) -> ProgressSummary | None:
        """Where the API stands (percent, rate, ETA, stalled, job state); None when nothing is known of it."""
        summary = self._sync(_calls.get_task_progress(self._session(), api_id, False)).get("summary")
        return ProgressSummary.from_json(summary) if summary else None

    def watch(self, api_id: str, *, timeout: float | None = None, mode: str = "auto") -> Iterator[ProgressEvent]:
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
                if state.mode == "stream":
                    yield from self._stream(state, deadline, retry)
                else:
                    yield from self._poll(state, deadline, retry)
            except TransportError:
                if not retry.again():
                    raise
                time.sleep(deadline.cap(retry.delay))
            deadline.check(api_id)

    def _stream(self, state: WatchState, deadline: _calls.Deadline, retry: _calls.Retry) -> Iterator[ProgressEvent]:
        keep_alive = deadline.keep_alive()
        call = state.stream_call(self._session(), keep_alive)
        with self._mapped_errors():
            timeout = httpx.Timeout(self._http.timeout.connect, read=keep_alive * 3)
            with self._http.stream(call.method, call.path, timeout=timeout, **call.kwargs()) as response:
                if _calls.falls_back(state, response.status_code):
                    return
                if response.status_code != 200:
                    response.read()
                    _protocol.result(response)  # raises the error it carries
                decoder = SSEDecoder()
                for line in response.iter_lines():
                    event = decoder.feed(line)
                    if event is not None and (change := state.on_event(event)) is not None:
                        retry.reset()
                        yield change
                        if state.finished:
                            return
                    deadline.check(state.api_id)
        raise TransportError("the event stream ended before the API finished")  # resumed by watch()

    def _poll(self, state: WatchState, deadline: _calls.Deadline, retry: _calls.Retry) -> Iterator[ProgressEvent]:
        call = state.poll_call(self._session(), deadline.poll_wait())
        read_timeout = httpx.Timeout(self._http.timeout.connect, read=_calls.LONG_POLL_MAX + 30)
        body = _protocol.result(self._send(call, timeout=read_timeout))
        retry.reset()
        yield from state.on_poll(body)
        if not state.finished and not state.long_poll:
            time.sleep(deadline.cap(self.poll_interval))

    def wait(self, api_id: str, *, timeout: float | None = None) -> ApiResult:
        """Wait for the API to end and return its result; a failed API job raises APIError with its code."""
        last = None
        for change in self.watch(api_id, timeout=timeout):
            last = change
        summary = last.summary if last is not None else None
        try:
            body = self._sync(_protocol.poll_call(api_id, self._session()))
        except RequestRefused as exc:
            if exc.status_code != 404:
                raise
            return ApiResult(api_id, None, {}, summary)  # no job on the server (or expired): the progress ended
        return ApiResult(api_id, _calls.SUCCEEDED, body, summary)

    # -- long jobs -------------------------------------------------------------------------------------

    def submit_long_job(
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
        return LongJob.from_json((self._async(call, timeout))["inventory"])

    def get_long_job(self, uuid: str) -> LongJob:
        body = self._sync(_calls.query_long_job(self._session(), uuid))
        return _calls.one_long_job(body, uuid)

    def list_long_jobs(self, *conditions: str, limit: int | None = None) -> list[LongJob]:
        body = self._sync(_calls.query_long_jobs(self._session(), conditions, limit))
        return [LongJob.from_json(item) for item in body.get("inventories") or []]

    def cancel_long_job(self, uuid: str, *, timeout: float | None = None) -> LongJob:
        body = self._async(_calls.long_job_action(self._session(), uuid, "cancelLongJob"), timeout)
        return LongJob.from_json(body["inventory"])

    def rerun_long_job(self, uuid: str, *, timeout: float | None = None) -> LongJob:
        body = self._async(_calls.long_job_action(self._session(), uuid, "rerunLongJob"), timeout)
        return LongJob.from_json(body["inventory"])

    def delete_long_job(self, uuid: str, *, timeout: float | None = None) -> None:
        self._async(_calls.delete_long_job(self._session(), uuid), timeout)

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

    def _send(self, call: Call, *, timeout: httpx.Timeout | None = None) -> httpx.Response:
        with self._mapped_errors():
            extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
            return self._http.request(call.method, call.path, **call.kwargs(), **extra)

    def _sync(self, call: Call) -> dict[str, Any]:
        return _protocol.result(self._send(call))

    def _async(self, call: Call, timeout: float | None) -> dict[str, Any]:
        """An async API: submitted, then its job polled until done (or ``timeout``, default its apiTimeout)."""
        accepted = self._send(call)
        job = _protocol.job_id(accepted)
        deadline = _calls.Deadline(timeout if timeout is not None else _protocol.api_timeout_seconds(accepted, 1800))
        interval = 0.0
        while (body := _protocol.job_done(self._send(_protocol.poll_call(job, self._session())))) is None:
            interval = _protocol.next_interval(interval, self.poll_interval)
            if deadline.expired_after(interval):
                raise TimeoutError(f"API {job} still running after {deadline.seconds} s")
            time.sleep(interval)
        return body
