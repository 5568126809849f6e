"""The periodic progress cleanup (ZStack's cleanup thread), run by every node that serves.

It re-reads ``progress.cleanupThreadInterval`` every second, so a new interval set on any node takes effect
within a second without a restart; on PostgreSQL, ``Store.cleanup`` lets one node at a time do the work.
"""

from __future__ import annotations

from taskprogress.periodic import PeriodicSweeps, Sweep
from taskprogress.store import Store


class CleanupLoop(PeriodicSweeps):
    def __init__(self, store: Store, *, tick: float = 1.0) -> None:
        sweep = Sweep("progress", "cleanupThreadInterval", lambda: store.cleanup().records, "expired progress records")
        super().__init__(store, [sweep], tick=tick, name="taskprogress-cleanup")
