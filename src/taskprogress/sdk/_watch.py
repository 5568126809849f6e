"""What ``watch()`` does, without I/O: the requests to make and the ``ProgressEvent``s their answers mean.

Two ways to follow an API, chosen by the client loop:

- ``stream``: the server's event stream (``GET .../events``), resumed with ``Last-Event-ID`` after a drop, so
  no record is yielded twice or missed;
- ``poll``: GetTaskProgress ``all=true``, as a long poll (``waitForChangeAfter``) where the server has one,
  otherwise at the client's poll interval; new records are found by their ``taskUuid`` (unique per record).
"""

from __future__ import annotations

import json
from typing import Any

from taskprogress.sdk._exceptions import TransportError
from taskprogress.sdk._models import ProgressEvent, ProgressSummary, TaskProgress
from taskprogress.sdk._protocol import Call, oauth
from taskprogress.sdk._sse import ServerEvent

__all__: list[str] = []

MODES = ("auto", "stream", "poll")
PROCESSING = "processing"


class WatchState:
    def __init__(self, api_id: str, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.api_id = api_id
        self.mode = "poll" if mode == "poll" else "stream"
        self.may_fall_back = mode == "auto"
        self.last_id: str | None = None
        self.seq = 0
        self.finished = False
        self.summary: ProgressSummary | None = None
        self.long_poll = True  # until a reply shows the server has none
        self._seen: set[str] = set()
        self._summary_json: dict[str, Any] | None = None

    # -- the event stream ------------------------------------------------------------------------------

    def stream_call(self, session_id: str | None, keep_alive: int) -> Call:
        headers = {**oauth(session_id), "Accept": "text/event-stream"}
        if self.last_id is not None:
            headers["Last-Event-ID"] = self.last_id
        return Call(
            "GET", f"task-progresses/{self.api_id}/events", [("keepAliveSeconds", str(keep_alive))], headers=headers
        )

    def on_event(self, event: ServerEvent) -> ProgressEvent | None:
        try:
            data = json.loads(event.data)
        except ValueError:
            raise TransportError(f"the stream sent an event that is not JSON: {event.data[:200]!r}") from None
        if event.id is not None:
            self.last_id = event.id
        self.seq = int(data.get("seq", self.seq))
        event_id = event.id or str(self.seq)
        if event.event == "progress":
            return ProgressEvent("progress", event_id, self.seq, record=TaskProgress.from_json(data["inventory"]))
        if event.event == "summary":
            self.summary = ProgressSummary.from_json(data["summary"])
            return ProgressEvent("summary", event_id, self.seq, summary=self.summary)
        if event.event == "finished":
            self.finished = True
            if "summary" in data:
                self.summary = ProgressSummary.from_json(data["summary"])
            return ProgressEvent("finished", event_id, self.seq, summary=self.summary, state=data.get("state"))
        return None  # an event kind of a newer server

    # -- polling ---------------------------------------------------------------------------------------

    def poll_call(self, session_id: str | None, wait_seconds: int) -> Call:
        params = [("all", "true")]
        if self.long_poll:
            params += [("waitForChangeAfter", str(self.seq)), ("timeoutSeconds", str(wait_seconds))]
        return Call("GET", f"task-progresses/{self.api_id}", params, headers=oauth(session_id))

    def on_poll(self, body: dict[str, Any]) -> list[ProgressEvent]:
        if "seq" not in body:
            self.long_poll = False  # a server without long polls (ZStack): poll at the client's interval
        seq = body.get("seq")
        if isinstance(seq, int):
            self.seq = max(self.seq, seq)
        events = []
        for record in _flatten(body.get("inventories") or []):
            if record.task_uuid not in self._seen:
                self._seen.add(record.task_uuid)
                events.append(ProgressEvent("progress", str(self.seq), self.seq, record=record))
        summary = body.get("summary")
        if isinstance(summary, dict) and summary != self._summary_json:
            self._summary_json = summary
            self.summary = ProgressSummary.from_json(summary)
            events.append(ProgressEvent("summary", str(self.seq), self.seq, summary=self.summary))
            if _over(summary):
                self.finished = True
                state = summary.get("state")
                events.append(ProgressEvent("finished", str(self.seq), self.seq, summary=self.summary, state=state))
        return events


def _flatten(inventories: list[dict[str, Any]]) -> list[TaskProgress]:
    """The records of an ``all=true`` forest in the order they were written: by time, then tree order."""
    found: list[tuple[int, int, TaskProgress]] = []

    def visit(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            record = TaskProgress.from_json({k: v for k, v in node.items() if k != "subTasks"})
            found.append((record.time, len(found), record))
            visit(node.get("subTasks") or [])

    visit(inventories)
    return [record for _, _, record in sorted(found, key=lambda item: item[:2])]


def _over(summary: dict[str, Any]) -> bool:
    """The server's rule: the API job has its result and the progress (if any) is finished."""
    state, has_progress = summary.get("state"), "startedAt" in summary or "percent" in summary
    if state is None and not has_progress:
        return False
    return (state is None or state != PROCESSING) and (not has_progress or bool(summary.get("finished")))
