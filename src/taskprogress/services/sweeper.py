"""The periodic sweeps of the server: expired sessions and expired API job results.

Like the progress cleanup, it wakes every second and re-reads its intervals (``identity.session.cleanup.interval``,
``rest.expiredApi.scanInterval``), so a change takes effect without a restart.
"""

from __future__ import annotations

import logging
import threading
import time

from taskprogress.errors import TaskProgressError
from taskprogress.services.api_jobs import ApiJobs
from taskprogress.services.identity import Identity
from taskprogress.store import Store

logger = logging.getLogger(__name__)


class SweepLoop:
    def __init__(self, store: Store, identity: Identity, jobs: ApiJobs, *, tick: float = 1.0) -> None:
        self._store = store
        self._sweeps = (
            (("identity", "session.cleanup.interval"), identity.sweep_sessions, "expired sessions"),
            (("rest", "expiredApi.scanInterval"), jobs.sweep, "expired API job results"),
        )
        self._tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="taskprogress-sweeper", daemon=True)

    def start(self) -> SweepLoop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        last = [time.monotonic()] * len(self._sweeps)
        while not self._stop.wait(self._tick):
            for i, ((category, name), sweep, what) in enumerate(self._sweeps):
                try:
                    if time.monotonic() - last[i] < int(self._store.get_config(category, name)):
                        continue
                    last[i] = time.monotonic()
                    if deleted := sweep():
                        logger.info("deleted %d %s", deleted, what)
                except TaskProgressError as exc:  # the database is away; try again at the next interval
                    logger.warning("sweeping %s failed: %s", what, exc)
