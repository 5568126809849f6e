"""The periodic progress cleanup (ZStack's cleanup thread), run by every node that serves.

It wakes every second to re-read ``progress.cleanupThreadInterval``, so a new interval set on any node takes
effect within a second without a restart; on PostgreSQL, ``Store.cleanup`` lets one node at a time do the work.
"""

from __future__ import annotations

import logging
import threading
import time

from taskprogress.errors import TaskProgressError
from taskprogress.store import Store

logger = logging.getLogger(__name__)

TICK_SECONDS = 1.0


class CleanupLoop:
    def __init__(self, store: Store, *, tick: float = TICK_SECONDS) -> None:
        self._store = store
        self._tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="taskprogress-cleanup", daemon=True)
        self.passes = 0  # completed cleanup passes, for tests and metrics

    def start(self) -> CleanupLoop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        last_pass = time.monotonic()
        while not self._stop.wait(self._tick):
            try:
                interval = int(self._store.get_config("progress", "cleanupThreadInterval"))
                if time.monotonic() - last_pass < interval:
                    continue
                last_pass = time.monotonic()
                result = self._store.cleanup()
                self.passes += 1
                if result.records:
                    logger.info("progress cleanup: deleted %d records of %d APIs", result.records, result.apis)
            except TaskProgressError as exc:  # the database is away; try again at the next interval
                logger.warning("progress cleanup failed: %s", exc)
