"""Change notifications: who is waiting for an API's progress is woken when a batch touching it commits.

Subscribe first, then read, then wait: a change committed after ``subscribe`` always wakes the subscriber,
so nothing is missed between a read and the wait. Waiting works from threads (``wait``) and from asyncio
(``wait_async``). Within one node the writer publishes after each commit; across nodes on PostgreSQL every
batch also sends ``NOTIFY taskprogress_changes`` and ``ChangeListener`` republishes what other nodes wrote.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)

CHANNEL = "taskprogress_changes"
ANY_API = "*"  # subscribe to every API (dashboards)


class Subscription:
    def __init__(self, notifier: ChangeNotifier, api_ids: tuple[str, ...]) -> None:
        self._notifier = notifier
        self.api_ids = api_ids
        self._event = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_event: asyncio.Event | None = None

    def _wake(self) -> None:
        self._event.set()
        if self._loop is not None and self._async_event is not None:
            try:
                self._loop.call_soon_threadsafe(self._async_event.set)
            except RuntimeError:  # the loop is closed: its waiter is gone
                pass

    def wait(self, timeout: float | None) -> bool:
        """Block until a change (True) or the timeout (False)."""
        changed = self._event.wait(timeout)
        self._event.clear()
        return changed

    async def wait_async(self, timeout: float | None) -> bool:
        if self._async_event is None:
            self._loop = asyncio.get_running_loop()
            self._async_event = asyncio.Event()
            if self._event.is_set():
                self._async_event.set()
        try:
            await asyncio.wait_for(self._async_event.wait(), timeout)
            changed = True
        except TimeoutError:
            changed = False
        self._async_event.clear()
        self._event.clear()
        return changed

    def close(self) -> None:
        self._notifier._remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class ChangeNotifier:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[Subscription]] = {}

    def subscribe(self, *api_ids: str) -> Subscription:
        """Wake on changes of these APIs (``ANY_API`` for all)."""
        subscription = Subscription(self, api_ids or (ANY_API,))
        with self._lock:
            for api_id in subscription.api_ids:
                self._subscribers.setdefault(api_id, set()).add(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            for api_id in subscription.api_ids:
                waiting = self._subscribers.get(api_id)
                if waiting is not None:
                    waiting.discard(subscription)
                    if not waiting:
                        del self._subscribers[api_id]

    def publish(self, api_ids: Iterable[str]) -> None:
        if not self._subscribers:  # the common case for a producer-only process: no work at all
            return
        with self._lock:
            woken = set(self._subscribers.get(ANY_API, ()))
            for api_id in api_ids:
                woken.update(self._subscribers.get(api_id, ()))
        for subscription in woken:
            subscription._wake()


class ChangeListener:
    """Republishes other nodes' changes (PostgreSQL ``LISTEN``) on this node's notifier."""

    def __init__(self, connect: Any, notifier: ChangeNotifier) -> None:
        self._connect = connect  # () -> an autocommit psycopg connection
        self._notifier = notifier
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="taskprogress-listen", daemon=True)

    def start(self) -> ChangeListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for notification in conn.notifies(timeout=0.5):
                            self._notifier.publish(notification.payload.split(","))
            except Exception as exc:  # the database went away: listen again shortly
                logger.warning("change listener lost its connection: %s", exc)
                self._stop.wait(1.0)
