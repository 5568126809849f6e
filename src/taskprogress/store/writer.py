"""Group commit: producers hand operations to a background thread that writes them in batches.

A report costs the producer an append to a list; the writer waits up to ``max_delay`` for more reports to join
the batch, then applies the whole batch in one transaction. ``flush()`` waits until everything submitted before
it is committed. What a crash can lose: operations submitted but not yet committed, i.e. at most the last
``max_delay`` (10 ms by default) of reports plus the batch being written at that moment.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from taskprogress.errors import StorageError
from taskprogress.store.ops import Op

logger = logging.getLogger(__name__)

RETRIES = 3


class GroupCommitWriter:
    def __init__(
        self,
        apply: Callable[[Sequence[Op]], None],
        *,
        max_delay: float = 0.01,
        max_batch: int = 2000,
        name: str = "taskprogress-writer",
    ) -> None:
        self._apply = apply
        self._max_delay = max_delay
        self._max_batch = max_batch
        self._cv = threading.Condition()
        self._pending: list[Op] = []
        self._submitted = 0
        self._committed = 0  # written or given up on
        self._urgent = False
        self._closing = False
        self._error: BaseException | None = None  # a batch was lost since the last flush
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, op: Op) -> None:
        with self._cv:
            if self._closing:
                raise StorageError("the progress writer is closed")
            self._pending.append(op)
            self._submitted += 1
            if len(self._pending) == 1 or len(self._pending) >= self._max_batch:
                self._cv.notify_all()

    def flush(self, timeout: float | None = 30.0) -> None:
        """Block until every operation submitted so far is committed; raise if one of them was lost."""
        if threading.current_thread() is self._thread:
            return
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            target = self._submitted
            if self._committed < target:
                self._urgent = True
                self._cv.notify_all()
            while self._committed < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise StorageError("timed out waiting for progress to be written")
                self._cv.wait(remaining)
            error, self._error = self._error, None
        if error is not None:
            raise StorageError(f"progress records were lost: {error}") from error

    def close(self) -> None:
        """Write what is pending and stop the thread."""
        with self._cv:
            if self._closing:
                return
            self._closing = True
            self._cv.notify_all()
        self._thread.join()

    def _next_batch(self) -> list[Op] | None:
        with self._cv:
            while not self._pending and not self._closing:
                self._cv.wait()
            if not self._pending:
                return None
            deadline = time.monotonic() + self._max_delay
            while not (self._urgent or self._closing or len(self._pending) >= self._max_batch):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cv.wait(remaining)
            batch, self._pending = self._pending, []
            self._urgent = False
            return batch

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            error = self._write(batch)
            with self._cv:
                self._committed += len(batch)
                if error is not None:
                    self._error = error
                self._cv.notify_all()

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
