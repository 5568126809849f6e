"""Push delivery of one API's progress to one client: the event stream and the long poll, with tenancy.

Events, in order (the wire format is in ``rest/routes/progress_events.py``):

- ``progress``: one per record, oldest first, ``{"seq": n, "inventory": TaskProgressInventory}`` (flat: the
  record's ``parentUuid`` places it in the tree);
- ``summary``: where the API stands (GetTaskProgress's ``summary``), after each batch of records, when the job
  state changes, and when the API becomes stalled;
- ``finished``: the last event, once the API is over: ``{"apiId", "state"?, "seq", "summary"}``.

Event ids grow strictly: a ``progress`` event's id is its record's seq (``"57"``); the events after it until
the next record are ``"57-1"``, ``"57-2"``... A client resuming from an id gets the records after its seq (none
twice, none missed: within an API, seq order is commit order), then the current summary, numbered on from the
id it gave.

Tenancy: an API the caller may not see, or one nobody knows, gives a stream that stays open and sends nothing
(keep-alive comments only) until the caller may see it; someone else's never becomes visible, so the two look
the same. A long poll on either waits for its timeout and answers like GetTaskProgress would (``[]``).
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from taskprogress.services.identity import Caller
from taskprogress.services.progress_feed import FeedState, ProgressFeeds

CATCH_UP_PAGE = 1000
_EVENT_ID = re.compile(r"(0|[1-9][0-9]{0,18})(?:-([1-9][0-9]{0,8}))?")


@dataclass(frozen=True, slots=True, order=True)
class Cursor:
    """Where a client is in a stream: the newest record it has (``seq``) and how many events came after it."""

    seq: int = 0
    after: int = 0

    @property
    def event_id(self) -> str:
        return str(self.seq) if self.after == 0 else f"{self.seq}-{self.after}"

    def at_record(self, seq: int) -> Cursor:
        return Cursor(seq, 0)

    def next(self) -> Cursor:
        return Cursor(self.seq, self.after + 1)

    @classmethod
    def parse(cls, event_id: str | None) -> Cursor:
        """A ``Last-Event-ID``; empty or None is the start. Raises ValueError for anything this server never sent."""
        if event_id is None or not event_id.strip():
            return cls()
        match = _EVENT_ID.fullmatch(event_id.strip())
        if match is None:
            raise ValueError(f"Last-Event-ID [{event_id}] is not an event id of this stream (e.g. 57 or 57-2)")
        return cls(int(match.group(1)), int(match.group(2) or 0))


@dataclass(frozen=True, slots=True)
class StreamEvent:
    kind: str  # progress | summary | finished
    id: str
    data: dict[str, Any]


class ProgressStreams:
    def __init__(self, feeds: ProgressFeeds) -> None:
        self._feeds = feeds

    async def events(self, caller: Caller, api_id: str, cursor: Cursor) -> AsyncIterator[StreamEvent]:
        """The API's events after ``cursor``, as they happen; ends after ``finished``."""
        queries = self._feeds.queries
        async with self._feeds.listen(api_id) as listener:
            version, shown, sent_summary = 0, False, None
            while True:
                state = await listener.changed_since(version, None)
                assert state is not None
                version = state.version
                shown = shown or state.update.visible_to(caller)
                if not shown:
                    continue
                while cursor.seq < state.base_seq:  # behind the feed's memory: the gap from the database
                    page = await anyio.to_thread.run_sync(queries.records, api_id, cursor.seq, state.base_seq)
                    if not page:
                        cursor = cursor.at_record(state.base_seq)  # deleted meanwhile (retention)
                        break
                    for seq, inventory in page:
                        cursor = cursor.at_record(seq)
                        yield StreamEvent("progress", cursor.event_id, {"seq": seq, "inventory": inventory})
                for seq, inventory in _records_after(state, cursor.seq):
                    cursor = cursor.at_record(seq)
                    yield StreamEvent("progress", cursor.event_id, {"seq": seq, "inventory": inventory})
                summary = state.update.summary
                if summary is not None and summary != sent_summary:
                    cursor, sent_summary = cursor.next(), summary
                    yield StreamEvent("summary", cursor.event_id, {"seq": cursor.seq, "summary": summary})
                if state.update.over:
                    cursor = cursor.next()
                    yield StreamEvent("finished", cursor.event_id, _finished(api_id, cursor.seq, state))
                    return

    async def wait_for_change(self, caller: Caller, api_id: str, after_seq: int, timeout: float) -> bool:
        """Wait until the caller can see a record newer than ``after_seq``, or the API is over (True); False after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        async with self._feeds.listen(api_id) as listener:
            version = 0
            while True:
                state = await listener.changed_since(version, max(0.0, deadline - time.monotonic()))
                if state is None:
                    return False
                version = state.version
                update = state.update
                if update.visible_to(caller) and (update.newest_seq > after_seq or update.over):
                    return True


def _records_after(state: FeedState, seq: int) -> list[tuple[int, dict[str, Any]]]:
    return [record for record in state.records if record[0] > seq]


def _finished(api_id: str, seq: int, state: FeedState) -> dict[str, Any]:
    data: dict[str, Any] = {"apiId": api_id, "seq": seq}
    if state.update.state is not None:
        data["state"] = state.update.state
    if state.update.summary is not None:
        data["summary"] = state.update.summary
    return data
