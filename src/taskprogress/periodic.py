"""Periodic sweeps whose intervals are global configs: the progress cleanup, expired sessions, expired results.

One thread wakes every second and runs each sweep whose interval (re-read from the global configuration each
time) has passed since its last run, so an interval changed on any node takes effect within a second, without
a restart. A sweep that fails (the database is away) is retried at its next interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from taskprogress.errors import TaskProgressError
from taskprogress.store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    category: str  # the global config holding the interval in seconds
    name: str
    run: Callable[[], int]  # returns how many things it deleted
    what: str  # for the log: "expired sessions"


class PeriodicSweeps:
    def __init__(self, store: Store, sweeps: Sequence[Sweep], *, tick: float = 1.0, name: str) -> None:
        self._store = store
        self._sweeps = tuple(sweeps)
        self._tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.passes = 0  # completed sweeps, for tests and metrics

    def start(self) -> PeriodicSweeps:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        last = [time.monotonic()] * len(self._sweeps)
        while not self._stop.wait(self._tick):
            for i, sweep in enumerate(self._sweeps):
                try:
                    if time.monotonic() - last[i] < int(self._store.get_config(sweep.category, sweep.name)):
                        continue
                    last[i] = time.monotonic()
                    if deleted := sweep.run():
                        logger.info("deleted %d %s", deleted, sweep.what)
                    self.passes += 1
                except TaskProgressError as exc:
                    logger.warning("sweeping %s failed: %s", sweep.what, exc)
