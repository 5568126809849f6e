"""Progress feeds: one reader per watched API, however many streams and long polls watch it.

A feed wakes on ``store.changes`` (this node's commits at once; other nodes' through PostgreSQL LISTEN), reads
what is new once, and hands the same immutable ``FeedState`` to every listener, so a report costs one read per
API rather than one per client, and a hundred idle streams cost nothing but memory.

Besides the change notifications a feed re-reads on two timers, both per API and never per client:

- a probe every ``probe_interval`` (cheap when nothing changed), because SQLite has no cross-process
  notification: a producer process writing into the server's SQLite file is seen within that interval;
- once at the moment the API would become stalled (``progress.stallTimeout`` after its last progress), so the
  ``stalled`` flag reaches streams without any write.

The feed keeps the newest ``KEEP_RECORDS`` records in memory; a listener further behind reads the gap from the
database (``ProgressQueries.records``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread

from taskprogress.errors import TaskProgressError
from taskprogress.services.progress import ApiUpdate, ProgressQueries
from taskprogress.store import Store

logger = logging.getLogger(__name__)

KEEP_RECORDS = 1000
READ_LIMIT = 1000  # records per read; a burst larger than this is read in several
RETRY_AFTER_ERROR = 1.0

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class FeedState:
    version: int  # grows with every change a listener should look at
    base_seq: int  # ``records`` holds every record after this seq, up to ``update.newest_seq``
    records: tuple[tuple[int, dict[str, Any]], ...]
    update: ApiUpdate  # where the API stands, with its summary; its own ``records`` are empty (see ``records``)


class Listener:
    def __init__(self, feed: ApiFeed) -> None:
        self._feed = feed
        self._woken = asyncio.Event()

    def _wake(self) -> None:
        self._woken.set()

    async def changed_since(self, version: int, timeout: float | None) -> FeedState | None:
        """The feed's state once its version differs from ``version``; None after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self._feed.state
            if state is not None and state.version != version:
                return state
            self._woken.clear()  # no await between the check and the clear: a wake cannot slip in between
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._woken.wait(), remaining)
            except TimeoutError:
                return None


class ApiFeed:
    def __init__(self, api_id: str, hub: ProgressFeeds) -> None:
        self.api_id = api_id
        self._hub = hub
        self.state: FeedState | None = None
        self.listeners: set[Listener] = set()
        self.task: asyncio.Task[None] | None = None
        self._stall_timeout_ms = 0

    def _publish(self, state: FeedState) -> None:
        self.state = state
        for listener in self.listeners:
            listener._wake()

    async def run(self) -> None:
        with self._hub.store.changes.subscribe(self.api_id) as subscription:
            # Subscribed before the first read: a commit after it wakes us, so nothing falls between.
            first = await self._read(None, with_summary=True)
            self._publish(FeedState(1, first.newest_seq, (), first))
            while True:
                await subscription.wait_async(self._next_timer())
                state = self.state
                assert state is not None
                due = self._stall_due(state)
                stall_due = due is not None and due <= _now_ms()
                read = await self._read(state.update.newest_seq, with_summary=False)
                if read.records or read.fingerprint != state.update.fingerprint or stall_due:
                    summary = await self._call(self._summary)
                    self._publish(_advance(state, dataclasses.replace(read, summary=summary)))

    async def _read(self, after_seq: int | None, *, with_summary: bool) -> ApiUpdate:
        """What is new since ``after_seq``, a burst larger than READ_LIMIT read in several goes."""
        queries = self._hub.queries
        update = await self._call(queries.update, self.api_id, after_seq)
        records = list(update.records)
        while after_seq is not None and len(update.records) == READ_LIMIT:
            update = await self._call(queries.update, self.api_id, records[-1][0])
            records.extend(update.records)
        newest = max(update.newest_seq, records[-1][0]) if records else update.newest_seq
        summary = await self._call(self._summary) if with_summary else None
        return dataclasses.replace(update, records=records, newest_seq=newest, summary=summary)

    def _summary(self) -> dict[str, Any] | None:
        """The summary, and the stall timeout it was judged by (read here, on a worker thread: a settings reload
        reads the database, which the event loop must never wait for)."""
        self._stall_timeout_ms = self._hub.stall_timeout_ms()
        return self._hub.queries.summary(self.api_id, now=_now_ms())  # a given time: fresh, never reused

    async def _call(self, read: Callable[..., _T], *args: Any) -> _T:
        """A read on a worker thread, retried while the database fails: a stream outlives a blip."""
        while True:
            try:
                return await anyio.to_thread.run_sync(read, *args)
            except TaskProgressError as exc:
                logger.warning("progress feed of %s could not read: %s", self.api_id, exc)
                await asyncio.sleep(RETRY_AFTER_ERROR)

    def _next_timer(self) -> float:
        timeout = self._hub.probe_interval
        due = self._stall_due(self.state)
        if due is not None:
            timeout = min(timeout, max(0.0, (due - _now_ms()) / 1000))
        return timeout

    def _stall_due(self, state: FeedState | None) -> int | None:
        """When the API becomes stalled if nothing happens (epoch ms); None when it cannot or already is."""
        summary = state.update.summary if state is not None else None
        if not summary or summary.get("finished") or summary.get("stalled") or "startedAt" not in summary:
            return None
        last = summary.get("lastProgressAt", summary["startedAt"])
        return last + self._stall_timeout_ms + 1


def _advance(state: FeedState, read: ApiUpdate) -> FeedState:
    """The next state: the new records appended (the newest KEEP_RECORDS kept), the rest replaced."""
    records = state.records + tuple(read.records)
    base_seq = state.base_seq
    if len(records) > KEEP_RECORDS:
        base_seq = records[-KEEP_RECORDS - 1][0]
        records = records[-KEEP_RECORDS:]
    return FeedState(state.version + 1, base_seq, records, dataclasses.replace(read, records=[]))


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class ProgressFeeds:
    """The feeds of one server process, created on the first listener of an API and dropped with the last."""

    def __init__(self, queries: ProgressQueries, store: Store, *, probe_interval: float = 0.2) -> None:
        self.queries = queries
        self.store = store
        self.probe_interval = probe_interval
        self._feeds: dict[str, ApiFeed] = {}

    def stall_timeout_ms(self) -> int:
        return int(self.store.get_config("progress", "stallTimeout")) * 1000

    @contextlib.asynccontextmanager
    async def listen(self, api_id: str) -> AsyncIterator[Listener]:
        feed = self._feeds.get(api_id)
        if feed is None or (feed.task is not None and feed.task.done()):  # none yet, or one that crashed
            feed = self._feeds[api_id] = ApiFeed(api_id, self)
            feed.task = asyncio.create_task(feed.run(), name=f"taskprogress-feed-{api_id}")
            feed.task.add_done_callback(_log_crash)
        listener = Listener(feed)
        feed.listeners.add(listener)
        try:
            yield listener
        finally:
            feed.listeners.discard(listener)
            if not feed.listeners:
                if self._feeds.get(api_id) is feed:
                    del self._feeds[api_id]
                assert feed.task is not None
                feed.task.cancel()

    @property
    def watched(self) -> int:
        """How many APIs have a feed right now (for tests and metrics)."""
        return len(self._feeds)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("a progress feed stopped", exc_info=task.exception())
