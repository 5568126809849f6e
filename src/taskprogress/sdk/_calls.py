"""The pythonic client's calls (what each method sends) and the clocks of its loops, shared by both twins."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from taskprogress.sdk._exceptions import ParameterError, RequestRefused, TimeoutError
from taskprogress.sdk._models import LongJob
from taskprogress.sdk._protocol import Call, hash_password, oauth
from taskprogress.sdk._watch import WatchState

__all__: list[str] = []

SUCCEEDED = "succeeded"
KEEP_ALIVE = 10  # seconds between the stream's keep-alives: a dead connection is noticed within 3x that
LONG_POLL_MAX = 30  # seconds a long poll may wait on the server
RECONNECT_FOR = 30.0  # seconds of failed reconnects before watch() gives up


def login(account_name: str, password: str) -> Call:
    body = {"logInByAccount": {"accountName": account_name, "password": hash_password(password)}}
    return Call("PUT", "accounts/login", body=body)


def logout(session_id: str) -> Call:
    return Call("DELETE", f"accounts/sessions/{session_id}")


def validate_session(session_id: str | None) -> Call:
    if not session_id:
        raise ParameterError("no session: log in first")
    return Call("GET", f"accounts/sessions/{session_id}/valid")


def renew_session(session_id: str | None, duration: int | None) -> Call:
    params = {} if duration is None else {"duration": duration}
    return Call(
        "PUT", f"accounts/sessions/{session_id}/renew", body={"renewSession": params}, headers=oauth(session_id)
    )


def get_task_progress(session_id: str | None, api_id: str, all: bool) -> Call:
    params = [("all", "true" if all else "false")]
    return Call("GET", f"task-progresses/{api_id}", params, headers=oauth(session_id))


def submit_long_job(
    session_id: str | None,
    job_name: str,
    job_data: Any,
    name: str | None,
    description: str | None,
    target_resource_uuid: str | None,
    api_id: str | None,
) -> Call:
    params: dict[str, Any] = {
        "jobName": job_name,
        # ZStack's jobData is a string holding JSON; a dict or a list is encoded here for the caller.
        "jobData": job_data if isinstance(job_data, str) else json.dumps(job_data),
    }
    for key, value in (("name", name), ("description", description), ("targetResourceUuid", target_resource_uuid)):
        if value is not None:
            params[key] = value
    headers = oauth(session_id)
    if api_id is not None:
        headers["X-Job-UUID"] = api_id
    return Call("POST", "longjobs", body={"params": params}, headers=headers)


def query_long_job(session_id: str | None, uuid: str) -> Call:
    return Call("GET", f"longjobs/{uuid}", headers=oauth(session_id))


def query_long_jobs(session_id: str | None, conditions: Sequence[str], limit: int | None) -> Call:
    params = [("q", condition) for condition in conditions]
    if limit is not None:
        params.append(("limit", str(limit)))
    return Call("GET", "longjobs", params, headers=oauth(session_id))


def one_long_job(body: dict[str, Any], uuid: str) -> LongJob:
    inventories = body.get("inventories") or []
    if not inventories:
        raise RequestRefused(404, f"no long job [{uuid}] visible to this session")
    return LongJob.from_json(inventories[0])


def long_job_action(session_id: str | None, uuid: str, action: str) -> Call:
    return Call("PUT", f"longjobs/{uuid}/actions", body={action: {}}, headers=oauth(session_id))


def delete_long_job(session_id: str | None, uuid: str) -> Call:
    return Call("DELETE", f"longjobs/{uuid}", headers=oauth(session_id))


def falls_back(state: WatchState, status_code: int) -> bool:
    """A server without event streams (404/405 on the path): ``auto`` watches switch to polling."""
    if state.may_fall_back and status_code in (404, 405):
        state.mode = "poll"
        return True
    return False


class Deadline:
    """An optional deadline (``seconds`` None: never) for wait(), watch() and async API polls."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._at = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        return None if self._at is None else self._at - time.monotonic()

    def check(self, api_id: str) -> None:
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            raise TimeoutError(f"API {api_id} not finished within {self.seconds} s")

    def expired_after(self, delay: float) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining < delay

    def cap(self, delay: float) -> float:
        remaining = self.remaining()
        return delay if remaining is None else max(0.0, min(delay, remaining))

    def keep_alive(self) -> int:
        """Keep-alives often enough that a deadline is checked in time while nothing happens."""
        remaining = self.remaining()
        return KEEP_ALIVE if remaining is None else max(1, min(KEEP_ALIVE, int(remaining)))

    def poll_wait(self) -> int:
        remaining = self.remaining()
        return LONG_POLL_MAX if remaining is None else max(1, min(LONG_POLL_MAX, int(remaining + 0.999)))


class Retry:
    """Reconnect delays of a watch: 50 ms doubling to 2 s, for at most RECONNECT_FOR seconds in a row."""

    def __init__(self) -> None:
        self.delay = 0.0
        self._failing_since: float | None = None

    def again(self) -> bool:
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        self.delay = min(2.0, max(0.05, self.delay * 2))
        return now - self._failing_since < RECONNECT_FOR

    def reset(self) -> None:
        self.delay, self._failing_since = 0.0, None
