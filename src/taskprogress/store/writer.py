"""Group commit: producers hand operations to a background thread that writes them in batches.

A report costs the producer an append to a deque; the writer waits up to ``max_delay`` for more reports to
join the batch, then applies the whole batch in one transaction. ``flush()`` puts a marker in the queue and
waits until the writer has committed everything before it. What a crash can lose: operations submitted but
not yet committed, i.e. at most the last ``max_delay`` (10 ms by default) of reports plus the batch being
written at that moment.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Sequence

from taskprogress.errors import StorageError
from taskprogress.store.ops import Op

logger = logging.getLogger(__name__)

RETRIES = 3


class _FlushMarker:
    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None


class GroupCommitWriter:
    def __init__(
        self,
        apply: Callable[[Sequence[Op]], None],
        *,
        max_delay: float = 0.01,
        max_batch: int = 5000,
        name: str = "taskprogress-writer",
    ) -> None:
        self._apply = apply
        self._max_delay = max_delay
        self._max_batch = max_batch
        # deque.append and popleft are atomic: producers never take a lock on the hot path.
        self._queue: collections.deque[Op | _FlushMarker] = collections.deque()
        self._cv = threading.Condition()
        # Set by the writer before it checks for an empty queue, read by producers after they append: a
        # producer that appends while the writer goes idle either sees the flag or is seen by the check.
        self._idle = False
        self._urgent = False
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, op: Op) -> None:
        if self._closing:
            raise StorageError("the progress writer is closed")
        self._queue.append(op)
        if self._idle:
            with self._cv:
                self._cv.notify()

    def flush(self, timeout: float | None = 30.0) -> None:
        """Block until every operation submitted so far is committed; raise if one of them was lost."""
        if threading.current_thread() is self._thread or not self._thread.is_alive():
            return
        marker = _FlushMarker()
        self._queue.append(marker)
        with self._cv:
            self._urgent = True
            self._cv.notify()
        if not marker.done.wait(timeout):
            raise StorageError("timed out waiting for progress to be written")
        if marker.error is not None:
            raise StorageError(f"progress records were lost: {marker.error}") from marker.error

    def close(self) -> None:
        """Write what is pending and stop the thread."""
        with self._cv:
            if self._closing:
                return
            self._closing = True
            self._cv.notify()
        self._thread.join()

    def _wait_for_work(self) -> bool:
        """Wait for a first operation, then give others up to ``max_delay`` to join it. False: closed and idle."""
        with self._cv:
            self._idle = True
            while not self._queue and not self._closing:
                self._cv.wait()
            self._idle = False
            if not self._queue:
                return False
            if not (self._urgent or self._closing) and len(self._queue) < self._max_batch:
                self._cv.wait(self._max_delay)  # a flush or close cuts the wait short
            self._urgent = False
            return True

    def _run(self) -> None:
        error: BaseException | None = None  # the last loss, reported to the next flush
        while self._wait_for_work():
            while self._queue:
                ops: list[Op] = []
                markers: list[_FlushMarker] = []
                for _ in range(min(len(self._queue), self._max_batch)):
                    item = self._queue.popleft()
                    (markers if isinstance(item, _FlushMarker) else ops).append(item)
                if ops:
                    error = self._write(ops) or error
                for marker in markers:
                    marker.error, error = error, None
                    marker.done.set()

    def _write(self, batch: list[Op]) -> BaseException | None:
        for attempt in range(1, RETRIES + 1):
            try:
                self._apply(batch)
                return None
            except Exception as exc:  # the database is down or busy: retry, then give up on this batch
                if attempt == RETRIES:
                    logger.error("lost %d progress operations after %d attempts: %s", len(batch), attempt, exc)
                    return exc
                logger.warning("progress write failed (attempt %d), retrying: %s", attempt, exc)
                time.sleep(0.05 * 2**attempt)
        return None
